package dev.speakerembedding.profiles;

/**
 * A profile's standing for the current model, as {@link EnrollmentPolicy#status} computes it.
 *
 * @param state                  where it stands
 * @param currentEnrollments     enrollments made by the current model: the only ones scored
 * @param otherModelEnrollments  enrollments made by another model: kept, never scored, counted so that answers
 *                               can say how many were left out
 * @param speechSeconds          speech in the current model's enrollments
 * @param remainingSpeechSeconds speech still needed before it is enrolled; 0 once enrolled
 */
public record ProfileStatus(ProfileState state, int currentEnrollments, int otherModelEnrollments,
                            double speechSeconds, double remainingSpeechSeconds) {
}
