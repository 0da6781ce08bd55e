package dev.speakerembedding.profiles.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored profile, without its enrollments.
 *
 * @param id           given by the store
 * @param externalId   the caller's id for the person, or null
 * @param metadataJson the caller's JSON object as text, or null
 * @param createdAt    when it was created (microsecond precision, as stored)
 * @param updatedAt    when it or its enrollments last changed
 */
public record Profile(ProfileId id, String externalId, String metadataJson, Instant createdAt, Instant updatedAt) {

    public Profile {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /** Without the external id and metadata, which may identify a person. */
    @Override
    public String toString() {
        return "Profile[id=" + id + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + "]";
    }
}
