package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter.ModelProto;
import dev.speakerembedding.model.speechbrain.EcapaWeights.Affine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Builds speechbrain's ECAPA_TDNN (v1.0) in eval mode as an ONNX graph for one utterance whose frames are all
 * valid (relative length 1.0). Input {@value #INPUT} float32 [1, frames, n_mels], output {@value #OUTPUT}
 * [1, lin_neurons].
 *
 * <p>Values flow time-major, [frames, channels], so every convolution is one Gemm: 1x1 convolutions directly,
 * wider ones on their im2col matrix (reflect padding, then the k dilated frame shifts side by side). ONNX
 * Runtime runs those as plain matrix products with prepacked weights, which on CPU beats its Conv kernel.
 *
 * <p>In {@link ModelPrecision#INT8} every such product (convolutions and the linear layers alike) has int8 weights,
 * quantised per output channel and symmetric (zero point 0, 7-bit range: see {@link #INT8_MAX}), and quantises its
 * input to uint8 per tensor at run time:
 * one {@code com.microsoft.DynamicQuantizeMatMul} node, ONNX Runtime's u8 x s8 kernel (VNNI and AMX where the CPU
 * has them). Everything else (ReLU, batch norm, pooling, squeeze-excitation gates) stays float32.
 */
public final class EcapaOnnxBuilder {

    public static final String INPUT = "feats";
    public static final String OUTPUT = "embedding";
    public static final String FRAMES = "frames";
    /** Attentive statistics pooling clamps variances here before the square root (AttentiveStatisticsPooling.eps). */
    static final float STATISTICS_EPS = 1e-12f;

    private static final long TIME = 0;
    private static final long CHANNELS = 1;

    /**
     * Largest magnitude of a quantised weight: 7 bits (-63..63) in int8 storage. x86 CPUs without VNNI (AVX2,
     * AVX-512F) multiply u8 by s8 with vpmaddubsw, which adds two products in int16 and saturates beyond 32767:
     * 2 x 255 x 63 stays below, 2 x 255 x 127 does not. So the graph computes the same numbers on every CPU (a cache
     * shared by unlike nodes included), for a cosine to float32 of 0.99988 instead of 0.99993 with 8 bits.
     */
    static final int INT8_MAX = 63;

    private final EcapaHyperparams params;
    private final EcapaWeights weights;
    private final boolean int8;
    private final GraphBuilder g = new GraphBuilder();

    private EcapaOnnxBuilder(EcapaHyperparams params, EcapaWeights weights, boolean int8) {
        this.params = params;
        this.weights = weights;
        this.int8 = int8;
    }

    /** The float32 graph producing the embedding. */
    public static ModelProto build(EcapaHyperparams params, EcapaWeights weights, Map<String, String> metadata) {
        return build(params, weights, metadata, ModelPrecision.FLOAT32);
    }

    /** The graph producing the embedding in {@code precision}. */
    public static ModelProto build(EcapaHyperparams params, EcapaWeights weights, Map<String, String> metadata,
                                   ModelPrecision precision) {
        return new EcapaOnnxBuilder(params, weights, precision == ModelPrecision.INT8).graph(false, metadata);
    }

    /**
     * The same graph with every block's output as an extra output named like speechbrain's modules and shaped
     * like them ("blocks.0" ... "mfa" [1, C, frames], "asp", "asp_bn" [1, 2C, 1], "fc" [1, lin_neurons, 1]), for
     * layer-by-layer comparison.
     */
    public static ModelProto buildWithLayerOutputs(EcapaHyperparams params, EcapaWeights weights) {
        return new EcapaOnnxBuilder(params, weights, false).graph(true, Map.of());
    }

    private ModelProto graph(boolean layerOutputs, Map<String, String> metadata) {
        Dim frames = Dim.symbolic(FRAMES);
        String feats = g.input(INPUT, List.of(Dim.of(1), frames, Dim.of(params.nMels())));
        String x = g.op("Reshape", feats, g.longs(-1, params.nMels()));

        List<String> layers = new ArrayList<>();
        x = tdnn(x, "blocks.0", params.dilations().get(0));
        layers.add(x);
        for (int i = 1; i < params.blockCount(); i++) {
            x = seRes2NetBlock(x, i);
            layers.add(x);
        }
        String aggregated = g.op("Concat", layers.subList(1, layers.size()), Attribute.of("axis", CHANNELS));
        String mfa = tdnn(aggregated, "mfa", params.dilations().get(params.channels().size() - 1));
        String pooled = attentiveStatisticsPooling(mfa);
        String normalized = affine(pooled, weights.batchNorm("asp_bn.norm"), "asp_bn");
        String embedding = convolve(normalized, "fc.conv", 1);
        g.output(embedding, OUTPUT, List.of(Dim.of(1), Dim.of(params.linNeurons())));

        if (layerOutputs) {
            for (int i = 0; i < layers.size(); i++) {
                channelMajorOutput(layers.get(i), "blocks." + i, params.channels().get(i), frames);
            }
            channelMajorOutput(mfa, "mfa", params.mfaChannels(), frames);
            channelMajorOutput(pooled, "asp", 2 * params.mfaChannels(), Dim.of(1));
            channelMajorOutput(normalized, "asp_bn", 2 * params.mfaChannels(), Dim.of(1));
            channelMajorOutput(embedding, "fc", params.linNeurons(), Dim.of(1));
        }
        return g.build("ecapa_tdnn", "speaker-embedding", "ecapa-onnx", metadata);
    }

    private void channelMajorOutput(String timeMajor, String name, int channels, Dim time) {
        String transposed = g.op("Transpose", timeMajor, Attribute.ints("perm", 1, 0));
        String batched = g.op("Unsqueeze", transposed, g.longs(0));
        g.output(batched, name, List.of(Dim.of(1), Dim.of(channels), time));
    }

    private String seRes2NetBlock(String x, int i) {
        String block = "blocks." + i;
        int channels = params.channels().get(i);
        int dilation = params.dilations().get(i);
        String residual = params.channels().get(i - 1) == channels ? x : convolve(x, block + ".shortcut.conv", 1);

        String h = tdnn(x, block + ".tdnn1", 1);
        int scale = params.res2netScale();
        long[] sizes = new long[scale];
        Arrays.fill(sizes, channels / scale);
        List<String> chunks = g.ops("Split", List.of(h, g.longs(sizes)), scale, Attribute.of("axis", CHANNELS));
        List<String> parts = new ArrayList<>();
        parts.add(chunks.get(0));
        String previous = null;
        for (int j = 1; j < scale; j++) {
            String in = j == 1 ? chunks.get(1) : g.op("Add", chunks.get(j), previous);
            previous = tdnn(in, block + ".res2net_block.blocks." + (j - 1), dilation);
            parts.add(previous);
        }
        h = g.op("Concat", parts, Attribute.of("axis", CHANNELS));
        h = tdnn(h, block + ".tdnn2", 1);

        String squeezed = g.op("ReduceMean", h, g.longs(TIME));
        String s = g.op("Relu", convolve(squeezed, block + ".se_block.conv1.conv", 1));
        s = g.op("Sigmoid", convolve(s, block + ".se_block.conv2.conv", 1));
        h = g.op("Mul", h, s);
        return g.op("Add", h, residual);
    }

    /** Attentive statistics pooling: [T, C] to [1, 2C] (weighted mean, then weighted std). */
    private String attentiveStatisticsPooling(String x) {
        int channels = params.mfaChannels();
        int attention = params.attentionChannels();
        int inputs = params.globalContext() ? 3 * channels : channels;
        float[] w = weights.get("asp.tdnn.conv.conv.weight");
        String bias = g.weight("asp.tdnn.conv.conv.bias", weights.get("asp.tdnn.conv.conv.bias"), attention);
        if (params.globalContext()) {
            // The utterance mean and std are the same for every frame, so their share of the 1x1 convolution is
            // one row added to all frames instead of 2C extra input columns per frame.
            String mean = g.op("ReduceMean", x, g.longs(TIME));
            String std = std(x, mean, null);
            String context = g.op("Concat", List.of(mean, std), Attribute.of("axis", CHANNELS));
            bias = linear(context, "asp.tdnn.context", transposedColumns(w, attention, inputs, channels, inputs),
                    2 * channels, attention, bias, true);
        }
        String a = linear(x, "asp.tdnn.frames", transposedColumns(w, attention, inputs, 0, channels), channels,
                attention, bias, !params.globalContext());
        a = g.op("Relu", a);
        a = affine(a, weights.batchNorm("asp.tdnn.norm.norm"), "asp.tdnn.norm");
        a = g.op("Tanh", a);
        a = convolve(a, "asp.conv.conv", 1);
        String attentionWeights = g.op("Softmax", a, Attribute.of("axis", TIME));
        String mean = g.op("ReduceSum", g.op("Mul", x, attentionWeights), g.longs(TIME));
        String std = std(x, mean, attentionWeights);
        return g.op("Concat", List.of(mean, std), Attribute.of("axis", CHANNELS));
    }

    /**
     * sqrt(max(sum_t m_t (x_t - mean)^2, eps)) over time with weights m (uniform 1/T when null), the two-pass
     * form speechbrain computes.
     */
    private String std(String x, String mean, String frameWeights) {
        String centered = g.op("Sub", x, mean);
        String squared = g.op("Mul", centered, centered);
        String variance = frameWeights == null ? g.op("ReduceMean", squared, g.longs(TIME))
                : g.op("ReduceSum", g.op("Mul", squared, frameWeights), g.longs(TIME));
        return g.op("Sqrt", g.op("Max", variance, g.weight("eps", new float[]{STATISTICS_EPS}, 1)));
    }

    /** TDNNBlock: reflect-padded "same" Conv1d, ReLU, then BatchNorm (in that order). */
    private String tdnn(String x, String prefix, int dilation) {
        String y = g.op("Relu", convolve(x, prefix + ".conv.conv", dilation));
        return affine(y, weights.batchNorm(prefix + ".norm.norm"), prefix + ".norm");
    }

    /** speechbrain Conv1d (padding "same", padding_mode "reflect") of a [T, in] value as one Gemm. */
    private String convolve(String x, String prefix, int dilation) {
        int[] shape = weights.shape(prefix + ".weight");
        int out = shape[0];
        int in = shape[1];
        int kernel = shape[2];
        float[] matrix = im2colMatrix(weights.get(prefix + ".weight"), out, in, kernel);
        float[] bias = weights.get(prefix + ".bias");
        String columns = kernel > 1 ? im2col(x, kernel, dilation) : x;
        if (!int8) {
            // Values named in the order they always were, so the float32 graph is byte for byte the one written
            // before int8 existed.
            String w = g.weight(prefix + ".weight", matrix, (long) kernel * in, out);
            return g.op("Gemm", List.of(columns, w, g.weight(prefix + ".bias", bias, out)));
        }
        return linear(columns, prefix + ".weight", matrix, kernel * in, out, g.weight(prefix + ".bias", bias, out),
                true);
    }

    /** The [T, k * C] matrix of k dilated frame shifts of reflect-padded [T, C] {@code x}, side by side. */
    private String im2col(String x, int kernel, int dilation) {
        int pad = dilation * (kernel - 1) / 2;
        String padded = g.op("Pad", List.of(x, g.longs(pad, 0, pad, 0)), Attribute.of("mode", "reflect"));
        List<String> taps = new ArrayList<>();
        for (int j = 0; j < kernel; j++) {
            long start = (long) j * dilation;
            // Negative ends count from the end of the padded frames, so the graph works for any T.
            long end = j == kernel - 1 ? Long.MAX_VALUE : start - 2L * pad;
            taps.add(g.op("Slice", List.of(padded, g.longs(start), g.longs(end), g.longs(TIME))));
        }
        return g.op("Concat", taps, Attribute.of("axis", CHANNELS));
    }

    /**
     * x [rows, inputs] times the [inputs, outputs] matrix plus {@code bias} (a [outputs] initializer when
     * {@code constantBias}, else a computed [1, outputs] value): one Gemm in float32, an int8 product otherwise.
     */
    private String linear(String x, String name, float[] matrix, int inputs, int outputs, String bias,
                          boolean constantBias) {
        if (!int8) {
            return g.op("Gemm", List.of(x, g.weight(name, matrix, inputs, outputs), bias));
        }
        // One contrib node rather than standard DynamicQuantizeLinear + MatMulInteger + Cast + Mul: ONNX Runtime
        // fuses those into this very node at the ALL level the service runs (measured: same kernel, same time; the
        // contrib node needs no fusion, so it also holds at lower levels), and
        // quantising before im2col instead (bytes, not floats, through Pad and Concat) was slower, as it leaves
        // MatMulIntegerToFloat and 22 separate quantisations.
        QuantizedMatrix q = quantizePerColumn(matrix, inputs, outputs);
        String wq = g.int8Weight(name + ".int8", q.values(), inputs, outputs);
        String scales = g.weight(name + ".scale", q.scales(), outputs);
        // The contrib op takes only a 1-D constant bias; a computed one (the pooling's context row) is added.
        String y = g.microsoftOp("DynamicQuantizeMatMul",
                constantBias ? List.of(x, wq, scales, "", bias) : List.of(x, wq, scales));
        return constantBias ? y : g.op("Add", y, bias);
    }

    /**
     * An [rows, cols] matrix as int8 values in -{@value #INT8_MAX}..{@value #INT8_MAX} with one scale per column
     * (output channel): symmetric, so the zero point is 0 and w ~ q * scale with |w - q * scale| at most
     * scale / 2. An all-zero column gets scale 1.
     */
    record QuantizedMatrix(byte[] values, float[] scales) {
    }

    static QuantizedMatrix quantizePerColumn(float[] matrix, int rows, int cols) {
        if (matrix.length != (long) rows * cols) {
            throw new IllegalArgumentException(matrix.length + " values, expected " + rows + " x " + cols);
        }
        float[] scales = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                scales[c] = Math.max(scales[c], Math.abs(matrix[r * cols + c]));
            }
        }
        for (int c = 0; c < cols; c++) {
            scales[c] = scales[c] > 0 ? scales[c] / INT8_MAX : 1f;
        }
        byte[] values = new byte[matrix.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long q = Math.round(matrix[r * cols + c] / scales[c]);
                values[r * cols + c] = (byte) Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
            }
        }
        return new QuantizedMatrix(values, scales);
    }

    private String affine(String x, Affine affine, String name) {
        int n = affine.scale().length;
        String scaled = g.op("Mul", x, g.weight(name + ".scale", toFloats(affine.scale()), n));
        return g.op("Add", scaled, g.weight(name + ".shift", toFloats(affine.shift()), n));
    }

    /** Conv weight [out, in, k] as the [k * in, out] matrix that multiplies im2col rows (tap-major columns). */
    private static float[] im2colMatrix(float[] w, int out, int in, int kernel) {
        float[] m = new float[kernel * in * out];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                for (int j = 0; j < kernel; j++) {
                    m[(j * in + c) * out + o] = w[(o * in + c) * kernel + j];
                }
            }
        }
        return m;
    }

    /** Input columns [from, to) of a [rows, inputs, 1] conv weight, transposed to a [to - from, rows] matrix. */
    private static float[] transposedColumns(float[] w, int rows, int inputs, int from, int to) {
        int width = to - from;
        float[] out = new float[width * rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                out[c * rows + r] = w[r * inputs + from + c];
            }
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
