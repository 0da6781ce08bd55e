package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ECAPA-TDNN state dict checked against the architecture of its hyperparameters: every expected key present
 * with its exact shape, float32, and no other keys (a renamed or extra parameter means the graph we would build is
 * not the model that was trained).
 */
public final class EcapaWeights {

    /** speechbrain's BatchNorm1d keeps torch's default eps. */
    public static final double BATCH_NORM_EPS = 1e-5;

    private static final String NUM_BATCHES_TRACKED = "num_batches_tracked";

    private final Map<String, TorchTensor> tensors;

    private EcapaWeights(Map<String, TorchTensor> tensors) {
        this.tensors = tensors;
    }

    /** Reads {@code embedding_model.ckpt} and checks it against {@code params}. */
    public static EcapaWeights read(Path checkpoint, EcapaHyperparams params) throws ModelFormatException {
        return of(TorchCheckpoint.readStateDict(checkpoint), params, checkpoint.getFileName().toString());
    }

    public static EcapaWeights of(Map<String, TorchTensor> stateDict, EcapaHyperparams params, String fileName)
            throws ModelFormatException {
        Map<String, int[]> expected = expectedShapes(params);
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            TorchTensor tensor = stateDict.get(e.getKey());
            if (tensor == null) {
                throw new ModelFormatException(fileName + ": missing key " + e.getKey() + " (expected shape "
                        + TorchTensor.formatShape(e.getValue()) + ")");
            }
            if (!Arrays.equals(tensor.shape(), e.getValue())) {
                throw new ModelFormatException(fileName + ": key " + e.getKey() + " has shape "
                        + tensor.shapeString() + ", expected " + TorchTensor.formatShape(e.getValue()));
            }
            if (tensor.dataType() != TorchTensor.DataType.FLOAT32) {
                throw new ModelFormatException(fileName + ": key " + e.getKey() + " is " + tensor.dataType()
                        + ", expected FLOAT32");
            }
        }
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            String key = e.getKey();
            if (expected.containsKey(key)) {
                continue;
            }
            boolean batchCounter = key.endsWith("." + NUM_BATCHES_TRACKED)
                    && expected.containsKey(key.substring(0, key.length() - NUM_BATCHES_TRACKED.length())
                    + "running_mean");
            if (!batchCounter) {
                throw new ModelFormatException(fileName + ": unexpected key " + key + " with shape "
                        + e.getValue().shapeString() + " (not part of the architecture in hyperparams.yaml)");
            }
            if (e.getValue().dataType() != TorchTensor.DataType.INT64 || e.getValue().elementCount() != 1) {
                throw new ModelFormatException(fileName + ": key " + key + " should be an int64 scalar, is "
                        + e.getValue().dataType() + " " + e.getValue().shapeString());
            }
        }
        Map<String, TorchTensor> kept = new LinkedHashMap<>();
        expected.keySet().forEach(k -> kept.put(k, stateDict.get(k)));
        return new EcapaWeights(kept);
    }

    /**
     * Every parameter and buffer ECAPA_TDNN(params) registers, with its shape (num_batches_tracked excepted:
     * optional, never used in eval mode).
     */
    public static Map<String, int[]> expectedShapes(EcapaHyperparams params) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        List<Integer> ch = params.channels();
        List<Integer> k = params.kernelSizes();
        tdnn(shapes, "blocks.0", ch.get(0), params.inputSize(), k.get(0));
        int aggregated = 0;
        for (int i = 1; i < params.blockCount(); i++) {
            int in = ch.get(i - 1);
            int out = ch.get(i);
            int width = out / params.res2netScale();
            String block = "blocks." + i;
            tdnn(shapes, block + ".tdnn1", out, in, 1);
            for (int j = 0; j < params.res2netScale() - 1; j++) {
                tdnn(shapes, block + ".res2net_block.blocks." + j, width, width, k.get(i));
            }
            tdnn(shapes, block + ".tdnn2", out, out, 1);
            conv(shapes, block + ".se_block.conv1.conv", params.seChannels(), out, 1);
            conv(shapes, block + ".se_block.conv2.conv", out, params.seChannels(), 1);
            if (in != out) {
                conv(shapes, block + ".shortcut.conv", out, in, 1);
            }
            aggregated += out;
        }
        int last = ch.size() - 1;
        int mfa = params.mfaChannels();
        tdnn(shapes, "mfa", mfa, aggregated, k.get(last));
        tdnn(shapes, "asp.tdnn", params.attentionChannels(), params.globalContext() ? 3 * mfa : mfa, 1);
        conv(shapes, "asp.conv.conv", mfa, params.attentionChannels(), 1);
        batchNorm(shapes, "asp_bn.norm", 2 * mfa);
        conv(shapes, "fc.conv", params.linNeurons(), 2 * mfa, 1);
        return shapes;
    }

    /** The float32 values of a checked key. */
    public float[] get(String key) {
        TorchTensor tensor = tensors.get(key);
        if (tensor == null) {
            throw new IllegalArgumentException("no parameter " + key);
        }
        return tensor.data();
    }

    public int[] shape(String key) {
        return tensors.get(key).shape();
    }

    /** Eval-mode BatchNorm of {@code prefix} (e.g. "mfa.norm.norm") as y = x * scale + shift per channel. */
    public Affine batchNorm(String prefix) {
        float[] weight = get(prefix + ".weight");
        float[] bias = get(prefix + ".bias");
        float[] mean = get(prefix + ".running_mean");
        float[] var = get(prefix + ".running_var");
        double[] scale = new double[weight.length];
        double[] shift = new double[weight.length];
        for (int c = 0; c < weight.length; c++) {
            scale[c] = weight[c] / Math.sqrt(var[c] + BATCH_NORM_EPS);
            shift[c] = bias[c] - mean[c] * scale[c];
        }
        return new Affine(scale, shift);
    }

    /** A per-channel affine map, kept in double so that folding it into other weights rounds only once. */
    public record Affine(double[] scale, double[] shift) {
    }

    private static void tdnn(Map<String, int[]> shapes, String prefix, int out, int in, int kernel) {
        conv(shapes, prefix + ".conv.conv", out, in, kernel);
        batchNorm(shapes, prefix + ".norm.norm", out);
    }

    private static void conv(Map<String, int[]> shapes, String prefix, int out, int in, int kernel) {
        shapes.put(prefix + ".weight", new int[]{out, in, kernel});
        shapes.put(prefix + ".bias", new int[]{out});
    }

    private static void batchNorm(Map<String, int[]> shapes, String prefix, int channels) {
        for (String name : List.of("weight", "bias", "running_mean", "running_var")) {
            shapes.put(prefix + "." + name, new int[]{channels});
        }
    }
}
