package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelManager;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 503 model_not_ready while the lifecycle worker moves between states as fast as it can. */
class ModelNotReadyTest {

    @TempDir
    Path tmp;

    @Test
    void aWorkerLeavingWaitingToRetryBetweenReadsNeverTurnsTheAnswerIntoAnError() throws Exception {
        // Offline with an empty cache and 1 ms waits: the worker flips between CHECKING_CACHE and WAITING_TO_RETRY
        // (with and without a retry time) thousands of times a second.
        HubCache cache = new HubCache(tmp.resolve("cache"));
        ModelManager.Settings settings = new ModelManager.Settings(RepoRef.of("org/model", "main"),
                Components.REPO_FILES, true, Duration.ofMillis(1), Duration.ofMillis(1),
                Duration.ofMinutes(10));
        try (ModelManager manager = new ModelManager(settings, cache,
                listener -> new ModelFetcher(cache, null, listener), snapshot -> {
                    throw new AssertionError("never loads");
                })) {
            manager.start();
            int answers = 0;
            int withRetryTime = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    EmbeddingService.readyModel(manager);
                    throw new AssertionError("no model can be loaded");
                } catch (ProblemException e) {
                    assertEquals(ProblemType.MODEL_NOT_READY, e.type());
                    int retryAfter = e.retryAfterSeconds();
                    assertTrue(retryAfter >= 1 && retryAfter <= 5, "Retry-After " + retryAfter);
                    answers++;
                    if (e.problem().detail().contains("offline")) {
                        withRetryTime++;
                    }
                }
            }
            assertTrue(manager.status().attempts() > 100, "the worker cycled: " + manager.status().attempts());
            assertTrue(answers > 10_000, "answers " + answers);
            assertTrue(withRetryTime > 0, "some answers saw the offline error");
        }
    }

    @Test
    void retryAfterCountsToTheNextAttemptOrDefaultsWhileLoading() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        LifecycleStatus loading = new LifecycleStatus(LifecycleState.LOADING, null, null, null, null, null, 1);
        assertEquals(5, EmbeddingService.retryAfterSeconds(loading, now));
        LifecycleStatus waiting = new LifecycleStatus(LifecycleState.WAITING_TO_RETRY, null, "down", null, null,
                now.plusMillis(12_300), 2);
        assertEquals(13, EmbeddingService.retryAfterSeconds(waiting, now));
        LifecycleStatus overdue = new LifecycleStatus(LifecycleState.WAITING_TO_RETRY, null, "down", null, null,
                now.minusSeconds(3), 2);
        assertEquals(1, EmbeddingService.retryAfterSeconds(overdue, now));
    }
}
