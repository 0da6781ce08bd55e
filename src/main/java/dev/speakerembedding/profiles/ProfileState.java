package dev.speakerembedding.profiles;

/** Where a profile stands for the current model. */
public enum ProfileState {
    /** Its enrollments under the current model hold less speech than required (possibly none at all). */
    ENROLLING,
    /** Its enrollments under the current model hold enough speech: it can be verified and identified. */
    ENROLLED,
    /** It has enrollments, but none under the current model: they cannot be scored until it is enrolled again. */
    NEEDS_REENROLLMENT
}
