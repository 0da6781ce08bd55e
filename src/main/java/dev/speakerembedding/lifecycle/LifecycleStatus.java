package dev.speakerembedding.lifecycle;

import java.time.Duration;
import java.time.Instant;

/**
 * An immutable picture of the lifecycle, cheap to read from any thread.
 *
 * @param state        the current state
 * @param commit       the commit the model was resolved to, or null before that is known
 * @param lastError    why the last attempt failed, with its remedy; null when none failed
 * @param loadedAt     when the model became ready, or null
 * @param loadTime     from the first look at the cache to ready, or null
 * @param nextRetryAt  when the next attempt starts (WAITING_TO_RETRY only), or null
 * @param attempts     attempts made so far
 */
public record LifecycleStatus(LifecycleState state, String commit, String lastError, Instant loadedAt,
                              Duration loadTime, Instant nextRetryAt, int attempts) {

    public boolean modelLoaded() {
        return state == LifecycleState.READY;
    }

    static LifecycleStatus initial() {
        return new LifecycleStatus(LifecycleState.STARTING, null, null, null, null, null, 0);
    }

    LifecycleStatus with(LifecycleState newState) {
        return new LifecycleStatus(newState, commit, lastError, loadedAt, loadTime, null, attempts);
    }
}
