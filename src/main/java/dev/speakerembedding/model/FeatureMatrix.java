package dev.speakerembedding.model;

/**
 * Features of one utterance, row-major {@code [frames][bins]}.
 *
 * @param rowMajor values, frame after frame
 * @param frames   rows
 * @param bins     values per row
 */
public record FeatureMatrix(float[] rowMajor, int frames, int bins) {
    public FeatureMatrix {
        if (frames < 0 || bins < 1 || (long) frames * bins != rowMajor.length) {
            throw new IllegalArgumentException(rowMajor.length + " values are not " + frames + " frames x " + bins
                    + " bins");
        }
    }

    /** Copies {@code [frames][bins]} rows into one array. */
    public static FeatureMatrix of(float[][] rows, int bins) {
        float[] flat = new float[Math.multiplyExact(rows.length, bins)];
        for (int t = 0; t < rows.length; t++) {
            System.arraycopy(rows[t], 0, flat, t * bins, bins);
        }
        return new FeatureMatrix(flat, rows.length, bins);
    }

    /** The transpose, row-major {@code [bins][frames]} (NeMo's layout). */
    public float[] transposed() {
        float[] out = new float[rowMajor.length];
        for (int t = 0; t < frames; t++) {
            for (int b = 0; b < bins; b++) {
                out[b * frames + t] = rowMajor[t * bins + b];
            }
        }
        return out;
    }
}
