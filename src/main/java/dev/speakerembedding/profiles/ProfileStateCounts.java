package dev.speakerembedding.profiles;

/**
 * How many profiles stand in each {@link ProfileState} for one model, as {@link EnrollmentPolicy#status} would
 * classify each of them.
 *
 * @param enrolled          profiles enrolled under the model
 * @param enrolling         profiles with too little (or no) speech under the model, including those with no
 *                          enrollment at all
 * @param needsReenrollment profiles whose enrollments are all of other models
 */
public record ProfileStateCounts(long enrolled, long enrolling, long needsReenrollment) {

    public static final ProfileStateCounts NONE = new ProfileStateCounts(0, 0, 0);

    public ProfileStateCounts {
        if (enrolled < 0 || enrolling < 0 || needsReenrollment < 0) {
            throw new IllegalArgumentException("counts must not be negative, got " + enrolled + ", " + enrolling
                    + ", " + needsReenrollment);
        }
    }

    public long of(ProfileState state) {
        return switch (state) {
            case ENROLLED -> enrolled;
            case ENROLLING -> enrolling;
            case NEEDS_REENROLLMENT -> needsReenrollment;
        };
    }
}
