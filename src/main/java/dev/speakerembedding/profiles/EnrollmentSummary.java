package dev.speakerembedding.profiles;

import java.util.Objects;

/**
 * What the enrollment rules need to know of one stored enrollment.
 *
 * @param modelIdentity the model that made its embedding
 * @param speechSeconds the speech measured in its audio
 */
public record EnrollmentSummary(ModelIdentity modelIdentity, double speechSeconds) {

    public EnrollmentSummary {
        Objects.requireNonNull(modelIdentity, "modelIdentity");
        if (!(speechSeconds >= 0) || Double.isInfinite(speechSeconds)) {
            throw new IllegalArgumentException("speechSeconds must be finite and not negative, got " + speechSeconds);
        }
    }
}
