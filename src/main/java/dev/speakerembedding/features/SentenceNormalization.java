package dev.speakerembedding.features;

/**
 * speechbrain {@code InputNormalization(norm_type="sentence", std_norm=False)} for a single utterance with
 * relative length 1.0: every band loses its mean over all frames; nothing is divided.
 */
public final class SentenceNormalization {

    private SentenceNormalization() {
    }

    /**
     * Returns a new row-major [frames][melCount] array with each band's mean over all frames subtracted.
     *
     * <p>The mean is accumulated in float64 and rounded to float32 once, which stays within a few float32 ulps
     * of torch's float32 reduction; the subtraction itself is float32 as in torch.
     */
    public static float[] subtractMean(float[] featsRowMajor, int frames, int melCount) {
        if (frames < 0 || melCount <= 0) {
            throw new IllegalArgumentException("need frames >= 0 and melCount > 0, got " + frames + " x " + melCount);
        }
        if ((long) frames * melCount != featsRowMajor.length) {
            throw new IllegalArgumentException("feature array has " + featsRowMajor.length + " values, expected "
                    + frames + " frames x " + melCount + " bands");
        }
        float[] out = new float[featsRowMajor.length];
        if (frames == 0) {
            return out;
        }
        double[] sums = new double[melCount];
        for (int t = 0; t < frames; t++) {
            int row = t * melCount;
            for (int m = 0; m < melCount; m++) {
                sums[m] += featsRowMajor[row + m];
            }
        }
        float[] means = new float[melCount];
        for (int m = 0; m < melCount; m++) {
            means[m] = (float) (sums[m] / frames);
        }
        for (int t = 0; t < frames; t++) {
            int row = t * melCount;
            for (int m = 0; m < melCount; m++) {
                out[row + m] = featsRowMajor[row + m] - means[m];
            }
        }
        return out;
    }
}
