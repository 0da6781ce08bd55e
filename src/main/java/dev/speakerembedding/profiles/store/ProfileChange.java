package dev.speakerembedding.profiles.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One committed write, in the change log.
 *
 * @param seq       its place in the log: 1, 2, 3, ... in commit order, without gaps
 * @param profileId the profile written
 * @param kind      what was done
 * @param changedAt when (the writing server's clock)
 */
public record ProfileChange(long seq, ProfileId profileId, ChangeKind kind, Instant changedAt) {

    public ProfileChange {
        Objects.requireNonNull(profileId, "profileId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(changedAt, "changedAt");
    }
}
