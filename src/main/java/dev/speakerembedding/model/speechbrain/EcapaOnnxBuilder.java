package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter.ModelProto;
import dev.speakerembedding.model.speechbrain.EcapaWeights.Affine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds speechbrain's ECAPA_TDNN (v1.0) in eval mode as an ONNX graph for one utterance whose frames are all
 * valid (relative length 1.0). Input {@value #INPUT} float32 [1, frames, n_mels], output {@value #OUTPUT}
 * [1, lin_neurons]. Values flow channel-major, [1, C, frames], as torch's Conv1d sees them.
 */
public final class EcapaOnnxBuilder {

    public static final String INPUT = "feats";
    public static final String OUTPUT = "embedding";
    public static final String FRAMES = "frames";
    /** Attentive statistics pooling clamps variances here before the square root (AttentiveStatisticsPooling.eps). */
    static final float STATISTICS_EPS = 1e-12f;

    private final EcapaHyperparams params;
    private final EcapaWeights weights;
    private final GraphBuilder g = new GraphBuilder();

    private EcapaOnnxBuilder(EcapaHyperparams params, EcapaWeights weights) {
        this.params = params;
        this.weights = weights;
    }

    /** The graph producing the embedding. */
    public static ModelProto build(EcapaHyperparams params, EcapaWeights weights, Map<String, String> metadata) {
        return new EcapaOnnxBuilder(params, weights).graph(false, metadata);
    }

    /**
     * The same graph with every block's output as an extra output named like speechbrain's modules
     * ("blocks.0" ... "mfa" [1, C, frames], "asp", "asp_bn" [1, 2C, 1], "fc" [1, lin_neurons, 1]), for
     * layer-by-layer comparison.
     */
    public static ModelProto buildWithLayerOutputs(EcapaHyperparams params, EcapaWeights weights) {
        return new EcapaOnnxBuilder(params, weights).graph(true, Map.of());
    }

    private ModelProto graph(boolean layerOutputs, Map<String, String> metadata) {
        Dim frames = Dim.symbolic(FRAMES);
        String feats = g.input(INPUT, List.of(Dim.of(1), frames, Dim.of(params.nMels())));
        String x = g.op("Transpose", feats, Attribute.ints("perm", 0, 2, 1));

        List<String> layers = new ArrayList<>();
        x = tdnn(x, "blocks.0", params.kernelSizes().get(0), params.dilations().get(0));
        layers.add(x);
        for (int i = 1; i < params.blockCount(); i++) {
            x = seRes2NetBlock(x, i);
            layers.add(x);
        }
        String aggregated = g.op("Concat", layers.subList(1, layers.size()), Attribute.of("axis", 1L));
        int last = params.channels().size() - 1;
        String mfa = tdnn(aggregated, "mfa", params.kernelSizes().get(last), params.dilations().get(last));
        String pooled = attentiveStatisticsPooling(mfa);
        String normalized = affine(pooled, weights.batchNorm("asp_bn.norm"), "asp_bn");
        String embedding = conv(normalized, "fc.conv", 1);
        String flat = g.op("Reshape", embedding, g.longs(1, params.linNeurons()));
        g.output(flat, OUTPUT, List.of(Dim.of(1), Dim.of(params.linNeurons())));

        if (layerOutputs) {
            for (int i = 0; i < layers.size(); i++) {
                g.output(layers.get(i), "blocks." + i,
                        List.of(Dim.of(1), Dim.of(params.channels().get(i)), frames));
            }
            g.output(mfa, "mfa", List.of(Dim.of(1), Dim.of(params.mfaChannels()), frames));
            g.output(pooled, "asp", List.of(Dim.of(1), Dim.of(2L * params.mfaChannels()), Dim.of(1)));
            g.output(normalized, "asp_bn", List.of(Dim.of(1), Dim.of(2L * params.mfaChannels()), Dim.of(1)));
            g.output(embedding, "fc", List.of(Dim.of(1), Dim.of(params.linNeurons()), Dim.of(1)));
        }
        return g.build("ecapa_tdnn", "speaker-embedding", "ecapa-onnx", metadata);
    }

    private String seRes2NetBlock(String x, int i) {
        String block = "blocks." + i;
        int channels = params.channels().get(i);
        int kernel = params.kernelSizes().get(i);
        int dilation = params.dilations().get(i);
        String residual = params.channels().get(i - 1) == channels ? x : conv(x, block + ".shortcut.conv", 1);

        String h = tdnn(x, block + ".tdnn1", 1, 1);
        int scale = params.res2netScale();
        long[] sizes = new long[scale];
        java.util.Arrays.fill(sizes, channels / scale);
        List<String> chunks = g.ops("Split", List.of(h, g.longs(sizes)), scale, Attribute.of("axis", 1L));
        List<String> parts = new ArrayList<>();
        parts.add(chunks.get(0));
        String previous = null;
        for (int j = 1; j < scale; j++) {
            String in = j == 1 ? chunks.get(1) : g.op("Add", chunks.get(j), previous);
            previous = tdnn(in, block + ".res2net_block.blocks." + (j - 1), kernel, dilation);
            parts.add(previous);
        }
        h = g.op("Concat", parts, Attribute.of("axis", 1L));
        h = tdnn(h, block + ".tdnn2", 1, 1);

        String squeezed = g.op("ReduceMean", h, g.longs(2));
        String s = g.op("Relu", conv(squeezed, block + ".se_block.conv1.conv", 1));
        s = g.op("Sigmoid", conv(s, block + ".se_block.conv2.conv", 1));
        h = g.op("Mul", h, s);
        return g.op("Add", h, residual);
    }

    /** Attentive statistics pooling: [1, C, T] to [1, 2C, 1] (weighted mean, then weighted std). */
    private String attentiveStatisticsPooling(String x) {
        int channels = params.mfaChannels();
        int attention = params.attentionChannels();
        float[] w = weights.get("asp.tdnn.conv.conv.weight");
        int inputs = params.globalContext() ? 3 * channels : channels;
        String a = g.op("Conv", List.of(x, g.weight("asp.tdnn.x", columns(w, attention, inputs, 0, channels),
                        attention, channels, 1), g.weight("asp.tdnn.b", weights.get("asp.tdnn.conv.conv.bias"),
                        attention)),
                Attribute.ints("kernel_shape", 1));
        if (params.globalContext()) {
            // The utterance mean and std are the same for every frame, so their share of the 1x1 convolution is
            // one column vector added to all frames instead of 2C extra input rows per frame.
            String mean = g.op("ReduceMean", x, g.longs(2));
            String std = std(x, mean, null);
            String context = g.op("Concat", List.of(mean, std), Attribute.of("axis", 1L));
            String projected = g.op("Conv", context, g.weight("asp.tdnn.context",
                            columns(w, attention, inputs, channels, 3 * channels), attention, 2L * channels, 1),
                    Attribute.ints("kernel_shape", 1));
            a = g.op("Add", a, projected);
        }
        a = g.op("Relu", a);
        a = affine(a, weights.batchNorm("asp.tdnn.norm.norm"), "asp.tdnn.norm");
        a = g.op("Tanh", a);
        a = conv(a, "asp.conv.conv", 1);
        String attentionWeights = g.op("Softmax", a, Attribute.of("axis", 2L));
        String mean = g.op("ReduceSum", g.op("Mul", x, attentionWeights), g.longs(2));
        String std = std(x, mean, attentionWeights);
        return g.op("Concat", List.of(mean, std), Attribute.of("axis", 1L));
    }

    /**
     * sqrt(max(sum_t m_t (x_t - mean)^2, eps)) over time with weights m (uniform 1/T when null), the two-pass
     * form speechbrain computes.
     */
    private String std(String x, String mean, String frameWeights) {
        String centered = g.op("Sub", x, mean);
        String squared = g.op("Mul", centered, centered);
        String variance = frameWeights == null ? g.op("ReduceMean", squared, g.longs(2))
                : g.op("ReduceSum", g.op("Mul", squared, frameWeights), g.longs(2));
        return g.op("Sqrt", g.op("Max", variance, g.weight("eps", new float[]{STATISTICS_EPS}, 1)));
    }

    /** TDNNBlock: reflect-padded "same" Conv1d, ReLU, then BatchNorm (in that order). */
    private String tdnn(String x, String prefix, int kernel, int dilation) {
        String y = conv(x, prefix + ".conv.conv", dilation);
        y = g.op("Relu", y);
        return affine(y, weights.batchNorm(prefix + ".norm.norm"), prefix + ".norm");
    }

    private String conv(String x, String prefix, int dilation) {
        int[] shape = weights.shape(prefix + ".weight");
        int kernel = shape[2];
        int pad = dilation * (kernel - 1) / 2;
        if (pad > 0) {
            x = g.op("Pad", List.of(x, g.longs(0, 0, pad, 0, 0, pad)), Attribute.of("mode", "reflect"));
        }
        String w = g.weight(prefix + ".weight", weights.get(prefix + ".weight"), shape[0], shape[1], kernel);
        String b = g.weight(prefix + ".bias", weights.get(prefix + ".bias"), shape[0]);
        return g.op("Conv", List.of(x, w, b), Attribute.ints("kernel_shape", kernel),
                Attribute.ints("dilations", dilation));
    }

    private String affine(String x, Affine affine, String name) {
        int n = affine.scale().length;
        String scaled = g.op("Mul", x, g.weight(name + ".scale", toFloats(affine.scale()), n, 1));
        return g.op("Add", scaled, g.weight(name + ".shift", toFloats(affine.shift()), n, 1));
    }

    /** Columns [from, to) of a [rows, inputs, 1] conv weight, as a [rows, to - from] row-major matrix. */
    private static float[] columns(float[] w, int rows, int inputs, int from, int to) {
        float[] out = new float[rows * (to - from)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(w, r * inputs + from, out, r * (to - from), to - from);
        }
        return out;
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}
