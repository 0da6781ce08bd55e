package dev.speakerembedding.profiles.store;

import java.util.Objects;

import dev.speakerembedding.profiles.InvalidVectorException;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.UnitVectors;
import dev.speakerembedding.profiles.store.InvalidProfileInputException.Reason;

/**
 * One enrollment to store: an embedding and the numbers measured on its audio (the audio itself is never stored).
 * The embedding is checked and scaled to unit length here, so what is stored is already what scoring uses.
 *
 * @param modelIdentity    what made the embedding; its dimension must be the embedding's
 * @param unitEmbedding    the embedding at unit length (a copy; the caller's array is not kept)
 * @param durationSeconds  the audio's duration
 * @param speechSeconds    the speech measured in it, at most {@code durationSeconds}
 */
public record NewEnrollment(ModelIdentity modelIdentity, float[] unitEmbedding, double durationSeconds,
                            double speechSeconds) {

    public NewEnrollment {
        Objects.requireNonNull(modelIdentity, "modelIdentity");
        Objects.requireNonNull(unitEmbedding, "embedding");
        try {
            unitEmbedding = UnitVectors.unitLength(unitEmbedding, modelIdentity.dimension(), "embedding");
        } catch (InvalidVectorException e) {
            throw new InvalidProfileInputException(Reason.INVALID_EMBEDDING, e.getMessage(), e);
        }
        if (!(durationSeconds >= 0) || Double.isInfinite(durationSeconds)) {
            throw new InvalidProfileInputException(Reason.INVALID_DURATION,
                    "durationSeconds must be finite and not negative");
        }
        if (!(speechSeconds >= 0) || speechSeconds > durationSeconds) {
            throw new InvalidProfileInputException(Reason.INVALID_DURATION,
                    "speechSeconds must be between 0 and durationSeconds");
        }
    }

    /** Scales {@code embedding} to unit length; see the record's description. */
    public static NewEnrollment of(ModelIdentity modelIdentity, float[] embedding, double durationSeconds,
                                   double speechSeconds) {
        return new NewEnrollment(modelIdentity, embedding, durationSeconds, speechSeconds);
    }

    /** A copy: the record's array stays as checked. */
    @Override
    public float[] unitEmbedding() {
        return unitEmbedding.clone();
    }

    float[] unitEmbeddingShared() {
        return unitEmbedding;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NewEnrollment other && modelIdentity.equals(other.modelIdentity)
                && java.util.Arrays.equals(unitEmbedding, other.unitEmbedding)
                && Double.compare(durationSeconds, other.durationSeconds) == 0
                && Double.compare(speechSeconds, other.speechSeconds) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelIdentity, java.util.Arrays.hashCode(unitEmbedding), durationSeconds, speechSeconds);
    }

    /** Without the vector (biometric data). */
    @Override
    public String toString() {
        return "NewEnrollment[model=" + modelIdentity.key() + ", durationSeconds=" + durationSeconds
                + ", speechSeconds=" + speechSeconds + "]";
    }
}
