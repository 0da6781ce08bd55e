package dev.speakerembedding.profiles.store;

/**
 * What a change did to a profile. A replica needs only the profile id (it reloads that profile's vectors, or drops
 * it when the profile is gone); the kind says why, for logs and metrics.
 */
public enum ChangeKind {
    CREATED,
    ENROLLED,
    ENROLLMENT_DELETED,
    RESET,
    DELETED
}
