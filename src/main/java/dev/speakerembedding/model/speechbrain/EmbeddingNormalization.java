package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * speechbrain's {@code mean_var_norm_emb} (InputNormalization, norm_type "global") in eval mode:
 * {@code (x - glob_mean) / glob_std}, both broadcast over the embedding. The checkpoint is the module's
 * statistics dict ({@code count}, {@code glob_mean}, {@code glob_std}, {@code spk_dict_*}); glob_std is stored as
 * a standard deviation (all ones when the module ran with std_norm=False, as in the hub model).
 */
public final class EmbeddingNormalization {

    private final float[] mean;
    private final float[] std;

    private EmbeddingNormalization(float[] mean, float[] std) {
        this.mean = mean;
        this.std = std;
    }

    public static EmbeddingNormalization read(Path file, int dimension) throws ModelFormatException {
        String fileName = file.getFileName().toString();
        Map<String, Object> stats = TorchCheckpoint.read(file);
        return new EmbeddingNormalization(broadcast(stats, "glob_mean", dimension, fileName),
                broadcast(stats, "glob_std", dimension, fileName));
    }

    /** The normalised copy of {@code embedding}, computed in float32 like torch. */
    public float[] apply(float[] embedding) {
        if (embedding.length != mean.length) {
            throw new IllegalArgumentException("embedding has " + embedding.length + " values, expected "
                    + mean.length);
        }
        float[] out = new float[embedding.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (embedding[i] - mean[i]) / std[i];
        }
        return out;
    }

    /** A stored tensor of [dimension] or one element, or a plain number (never-updated statistics are ints). */
    private static float[] broadcast(Map<String, Object> stats, String key, int dimension, String fileName)
            throws ModelFormatException {
        Object value = stats.get(key);
        float[] out = new float[dimension];
        if (value instanceof TorchTensor tensor && tensor.dataType() == TorchTensor.DataType.FLOAT32
                && (tensor.elementCount() == dimension || tensor.elementCount() == 1)) {
            float[] data = tensor.data();
            for (int i = 0; i < dimension; i++) {
                out[i] = data.length == 1 ? data[0] : data[i];
            }
            return out;
        }
        if (value instanceof Long || value instanceof Double) {
            Arrays.fill(out, ((Number) value).floatValue());
            return out;
        }
        String found = value instanceof TorchTensor t ? t.dataType() + " " + t.shapeString() : String.valueOf(value);
        throw new ModelFormatException(fileName + ": key " + key + " is " + found + ", expected a float32 tensor of ["
                + dimension + "] or [1]");
    }
}
