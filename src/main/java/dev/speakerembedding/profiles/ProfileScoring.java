package dev.speakerembedding.profiles;

import java.util.List;
import java.util.Objects;

/**
 * Scoring against a profile as sherpa-onnx's {@code SpeakerEmbeddingManager} and wespeaker do: the profile vector
 * is the mean of its enrollments' unit-length embeddings, scaled to unit length again, and a probe's score is
 * its cosine with it.
 *
 * <p>The decision is {@code score > threshold}, strictly, as {@code /v1/verify} and speechbrain's
 * {@code verify_batch} decide, so one threshold means the same thing on every endpoint.
 */
public final class ProfileScoring {

    /**
     * @param score     cosine of the probe and the profile vector, in [-1, 1]
     * @param threshold the threshold the decision used
     * @param accepted  {@code score > threshold}
     */
    public record Verification(double score, double threshold, boolean accepted) {
    }

    private ProfileScoring() {
    }

    /**
     * The unit-length mean of the unit-length {@code embeddings} (each is scaled to unit length first, so a loud
     * or long enrollment weighs no more than another).
     *
     * @param embeddings the enrollments of one model identity, all of that identity's dimension
     * @throws IllegalArgumentException when there are none
     * @throws InvalidVectorException   when one is invalid (see {@link UnitVectors#unitLength}) or their mean is
     *                                  zero (enrollments pointing in opposite directions)
     */
    public static float[] profileVector(List<float[]> embeddings) {
        Objects.requireNonNull(embeddings, "embeddings");
        if (embeddings.isEmpty()) {
            throw new IllegalArgumentException("a profile vector needs at least one enrollment embedding");
        }
        int dimension = Objects.requireNonNull(embeddings.get(0), "enrollment 0").length;
        double[] sum = new double[dimension];
        for (int e = 0; e < embeddings.size(); e++) {
            float[] unit = UnitVectors.unitLength(embeddings.get(e), dimension, "enrollment " + e);
            for (int i = 0; i < dimension; i++) {
                sum[i] += unit[i];
            }
        }
        float[] mean = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            mean[i] = (float) (sum[i] / embeddings.size());
        }
        return UnitVectors.unitLength(mean, dimension, "mean of the enrollments");
    }

    /**
     * Scores {@code probe} against {@code profileVector}; neither needs to be unit-length.
     *
     * @param threshold in [-1, 1]
     * @throws InvalidVectorException   when a vector is invalid or their dimensions differ
     * @throws IllegalArgumentException when the threshold is NaN or outside [-1, 1]
     */
    public static Verification verify(float[] profileVector, float[] probe, double threshold) {
        checkThreshold(threshold);
        Objects.requireNonNull(profileVector, "profile vector");
        float[] profile = UnitVectors.unitLength(profileVector, profileVector.length, "profile vector");
        float[] unitProbe = UnitVectors.unitLength(probe, profile.length, "probe");
        double score = UnitVectors.cosine(profile, 0, unitProbe);
        return new Verification(score, threshold, score > threshold);
    }

    /** The decision rule, for callers that already hold a score (identification). */
    public static boolean accepts(double score, double threshold) {
        checkThreshold(threshold);
        return score > threshold;
    }

    static void checkThreshold(double threshold) {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be in [-1, 1], got " + threshold);
        }
    }
}
