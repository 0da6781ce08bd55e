package dev.speakerembedding.features;

/**
 * Per-utterance normalisations of a feature matrix {@code [frames][bins]}, over the frames of each bin, with the
 * float32 rounding order of sherpa-onnx 1.13.8 (Eigen's column reductions) so that the results are bit-identical
 * to its own for the same input features. Both work in place and return their argument.
 */
public final class FrameNormalization {

    /** Added to the standard deviation before dividing, as sherpa-onnx (and NeMo) do. */
    public static final float STD_EPSILON = 1e-5f;

    private FrameNormalization() {
    }

    /** Subtracts each bin's mean over the frames (cepstral mean normalisation; sherpa's {@code global-mean}). */
    public static float[][] subtractMean(float[][] features) {
        if (features.length == 0) {
            return features;
        }
        float[] mean = mean(features);
        for (float[] frame : features) {
            for (int j = 0; j < frame.length; j++) {
                frame[j] -= mean[j];
            }
        }
        return features;
    }

    /**
     * Mean and variance normalisation per bin as sherpa-onnx 1.13.8's binary does NeMo's {@code per_feature}:
     * {@code (x - mean) / (std + 1e-5)} with the <b>population</b> standard deviation (divided by the frame count,
     * not count - 1, unlike NeMo itself) of the already centred values, and no floor on the variance. A bin that is
     * constant except for float32 rounding (silence at the log floor) therefore becomes values of about +-0.09, not
     * 0: that is what the model is fed by the reference, so it is reproduced.
     */
    public static float[][] perFeatureMeanAndStd(float[][] features) {
        int frames = features.length;
        if (frames == 0) {
            return features;
        }
        subtractMean(features);
        int bins = features[0].length;
        float[] sumSquares = new float[bins];
        for (float[] frame : features) {
            for (int j = 0; j < bins; j++) {
                sumSquares[j] += frame[j] * frame[j];
            }
        }
        float[] denominator = new float[bins];
        for (int j = 0; j < bins; j++) {
            float std = (float) Math.sqrt(sumSquares[j] / frames);
            denominator[j] = std + STD_EPSILON;
        }
        for (float[] frame : features) {
            for (int j = 0; j < bins; j++) {
                frame[j] /= denominator[j];
            }
        }
        return features;
    }

    /**
     * Column means in Eigen 3.4's packet order for a column-wise sum: the first row, then blocks of four rows
     * summed as {@code (r[i] + r[i+1]) + (r[i+2] + r[i+3])} while {@code i < (frames - 1) & ~3}, then the remaining
     * rows one by one; divided by the frame count in float32.
     */
    static float[] mean(float[][] features) {
        int frames = features.length;
        int bins = features[0].length;
        float[] sum = features[0].clone();
        int blockEnd = (frames - 1) & ~3;
        int i = 1;
        for (; i < blockEnd; i += 4) {
            float[] a = features[i];
            float[] b = features[i + 1];
            float[] c = features[i + 2];
            float[] d = features[i + 3];
            for (int j = 0; j < bins; j++) {
                sum[j] += (a[j] + b[j]) + (c[j] + d[j]);
            }
        }
        for (; i < frames; i++) {
            float[] row = features[i];
            for (int j = 0; j < bins; j++) {
                sum[j] += row[j];
            }
        }
        for (int j = 0; j < bins; j++) {
            sum[j] /= frames;
        }
        return sum;
    }
}
