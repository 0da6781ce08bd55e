package dev.speakerembedding.profiles.store;

import java.time.Instant;
import java.util.Objects;

import dev.speakerembedding.profiles.EnrollmentSummary;
import dev.speakerembedding.profiles.ModelIdentity;

/**
 * A stored enrollment as listed: its numbers, not its vector (vectors leave the store only for the index, through
 * {@link ProfileStore#loadVectors}).
 *
 * @param id              given by the store
 * @param profileId       the profile it belongs to
 * @param modelIdentity   what made its embedding
 * @param durationSeconds the audio's duration
 * @param speechSeconds   the speech measured in it
 * @param createdAt       when it was stored (microsecond precision)
 */
public record Enrollment(EnrollmentId id, ProfileId profileId, ModelIdentity modelIdentity, double durationSeconds,
                         double speechSeconds, Instant createdAt) {

    public Enrollment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(profileId, "profileId");
        Objects.requireNonNull(modelIdentity, "modelIdentity");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** What {@link dev.speakerembedding.profiles.EnrollmentPolicy#status} needs of it. */
    public EnrollmentSummary summary() {
        return new EnrollmentSummary(modelIdentity, speechSeconds);
    }
}
