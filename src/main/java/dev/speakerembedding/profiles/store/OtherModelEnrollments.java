package dev.speakerembedding.profiles.store;

/**
 * What scoring under one model leaves out: enrollments made by another model, which are never compared with it.
 *
 * @param enrollments enrollments of another model
 * @param profiles    profiles that have enrollments, none of them of the model (they need re-enrollment)
 */
public record OtherModelEnrollments(int enrollments, int profiles) {

    public static final OtherModelEnrollments NONE = new OtherModelEnrollments(0, 0);

    public OtherModelEnrollments {
        if (enrollments < 0 || profiles < 0 || profiles > enrollments) {
            throw new IllegalArgumentException("counts must satisfy 0 <= profiles <= enrollments, got " + profiles
                    + " of " + enrollments);
        }
    }
}
