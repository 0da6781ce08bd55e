package dev.speakerembedding.inference;

/**
 * speechbrain's {@code SpeakerRecognition.verify_batch}: the cosine similarity of the two raw (normalize=False)
 * embeddings, and "same speaker" when it is strictly above the threshold.
 */
public final class SpeakerVerification {

    /** torch.nn.CosineSimilarity's default eps, which speechbrain keeps: the smallest norm divided by. */
    static final double NORM_EPSILON = 1e-6;

    /**
     * @param score        cosine similarity in [-1, 1]
     * @param threshold    the threshold the decision used
     * @param sameSpeaker  {@code score > threshold}
     */
    public record Result(double score, double threshold, boolean sameSpeaker) {
    }

    private SpeakerVerification() {
    }

    public static Result verify(float[] a, float[] b, double threshold) {
        double score = cosine(a, b);
        return new Result(score, threshold, score > threshold);
    }

    /**
     * Cosine similarity in double precision, each norm clamped to at least {@link #NORM_EPSILON} as torch does
     * (so a zero vector scores 0 instead of NaN), and clamped to [-1, 1] so a vector against itself gives exactly
     * 1 despite rounding.
     *
     * @throws IllegalArgumentException when the lengths differ or are zero
     */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("embeddings must have the same non-zero length, got " + a.length
                    + " and " + b.length);
        }
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        double score = dot / (Math.max(Math.sqrt(aa), NORM_EPSILON) * Math.max(Math.sqrt(bb), NORM_EPSILON));
        return Math.max(-1.0, Math.min(1.0, score));
    }
}
