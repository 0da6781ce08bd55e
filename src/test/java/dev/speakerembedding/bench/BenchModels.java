package dev.speakerembedding.bench;

import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random-weight sherpa-onnx models with the size and compute of the published ones, built at benchmark time with the
 * project's ONNX writer (never committed: tens of MB each). The layers are not the exact architectures (no batch
 * norm, which ONNX Runtime folds into the convolutions anyway; no segment pooling in CAM++); what matters for timing
 * is the same kinds of operators at the same widths, hence about the same parameter count and multiply-adds.
 *
 * <ul>
 *   <li>WeSpeaker ResNet34: [N, T, 80] -> 2-D residual net (32/64/128/256 channels, 3/4/6/3 basic blocks, stride 2
 *       from the second stage) -> temporal statistics -> 256.</li>
 *   <li>3D-Speaker CAM++: [N, T, 80] -> 2-D conv head (32 channels, 4 residual blocks, frequency stride 8) -> TDNN
 *       k5 stride 2 -> three densely connected blocks of 12/24/16 context-aware-masked layers (growth 32, bottleneck
 *       128) with transitions -> statistics -> 192.</li>
 *   <li>NeMo TitaNet-small: [N, 80, T] + length -> prolog, three mega blocks of three depthwise-separable conv
 *       sub-blocks (256 channels, kernels 7/11/15) with squeeze-excitation and residual, epilog to 3072 ->
 *       attentive statistics pooling -> 192 (second output; the first is a classifier over 7205 speakers).</li>
 * </ul>
 */
final class BenchModels {

    /** 10 ms frames in a 3 s clip at 16 kHz (snip_edges false: 300; NeMo's snip_edges true: 298). */
    static final int FRAMES_3S = 300;
    static final int NEMO_FRAMES_3S = 298;

    /**
     * A model file in memory.
     *
     * @param gmacsPer3s multiply-adds of one run on a 3 s clip, in 10^9, counted layer by layer as built
     */
    record Built(String family, String shape, byte[] onnx, long parameters, double gmacsPer3s, int dimension) {
    }

    private BenchModels() {
    }

    static List<Built> all() throws IOException {
        return List.of(wespeakerResnet34(), campplus(), titanetSmall());
    }

    private static final Map<String, String> COMMON = Map.of("sample_rate", "16000", "normalize_samples", "0",
            "language", "English");

    static Built wespeakerResnet34() throws IOException {
        Net n = new Net(34);
        String x = n.g.input("feats", List.of(Dim.of(1), Dim.symbolic("T"), Dim.of(80)));
        String h = image(n, x);
        int freq = 80;
        long t = FRAMES_3S;
        h = n.relu(n.conv2d(h, 1, 32, 3, 1, 1, freq * t));
        int channels = 32;
        int[] planes = {32, 64, 128, 256};
        int[] blocks = {3, 4, 6, 3};
        for (int stage = 0; stage < 4; stage++) {
            for (int b = 0; b < blocks[stage]; b++) {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                if (stride == 2) {
                    freq = (freq + 1) / 2;
                    t = (t + 1) / 2;
                }
                long positions = freq * t;
                String y = n.relu(n.conv2d(h, channels, planes[stage], 3, stride, stride, positions));
                y = n.conv2d(y, planes[stage], planes[stage], 3, 1, 1, positions);
                String shortcut = stride != 1 || channels != planes[stage]
                        ? n.conv2d(h, channels, planes[stage], 1, stride, stride, positions) : h;
                h = n.relu(n.g.op("Add", y, shortcut));
                channels = planes[stage];
            }
        }
        // [1, 256, 10, T/8] -> [1, 2560, T/8] -> mean and standard deviation over time -> 5120 -> 256
        String flat = n.g.op("Reshape", h, n.g.longs(0, (long) channels * freq, -1));
        String embedding = n.dense(statistics(n, flat), 2L * channels * freq, 256);
        n.g.output(embedding, "embs", List.of(Dim.of(1), Dim.of(256)));
        Map<String, String> meta = new java.util.HashMap<>(COMMON);
        meta.put("framework", "wespeaker");
        meta.put("output_dim", "256");
        meta.put("model_type", "resnet34");
        return n.build("wespeaker", "WeSpeaker ResNet34 shape", meta, 256);
    }

    static Built campplus() throws IOException {
        Net n = new Net(35);
        String x = n.g.input("x", List.of(Dim.of(1), Dim.symbolic("T"), Dim.of(80)));
        String h = image(n, x);
        int freq = 80;
        long t = FRAMES_3S;
        // FCM head: strides on frequency only
        h = n.relu(n.conv2d(h, 1, 32, 3, 1, 1, freq * t));
        for (int layer = 0; layer < 2; layer++) {
            for (int b = 0; b < 2; b++) {
                int stride = b == 0 ? 2 : 1;
                freq = stride == 2 ? (freq + 1) / 2 : freq;
                String y = n.relu(n.conv2d(h, 32, 32, 3, stride, 1, freq * t));
                y = n.conv2d(y, 32, 32, 3, 1, 1, freq * t);
                String shortcut = stride != 1 ? n.conv2d(h, 32, 32, 1, stride, 1, freq * t) : h;
                h = n.relu(n.g.op("Add", y, shortcut));
            }
        }
        freq = (freq + 1) / 2;
        h = n.relu(n.conv2d(h, 32, 32, 3, 2, 1, freq * t));
        int channels = 32 * freq;
        h = n.g.op("Reshape", h, n.g.longs(0, channels, -1));
        t = (t + 1) / 2;
        h = n.relu(n.conv1d(h, channels, 128, 5, 2, 1, 1, t));
        channels = 128;
        int[][] blocks = {{12, 1}, {24, 2}, {16, 2}};
        for (int[] block : blocks) {
            for (int layer = 0; layer < block[0]; layer++) {
                String bottleneck = n.relu(n.conv1d(h, channels, 128, 1, 1, 1, 1, t));
                String local = n.conv1d(bottleneck, 128, 32, 3, 1, block[1], 1, t);
                String context = n.g.op("ReduceMean", bottleneck, n.g.longs(2), Attribute.of("keepdims", 1L));
                context = n.relu(n.conv1d(context, 128, 64, 1, 1, 1, 1, 1));
                context = n.g.op("Sigmoid", n.conv1d(context, 64, 32, 1, 1, 1, 1, 1));
                h = n.g.op("Concat", List.of(h, n.g.op("Mul", local, context)), Attribute.of("axis", 1L));
                channels += 32;
            }
            h = n.relu(n.conv1d(h, channels, channels / 2, 1, 1, 1, 1, t));
            channels /= 2;
        }
        String embedding = n.dense(statistics(n, h), 2L * channels, 192);
        n.g.output(embedding, "embedding", List.of(Dim.of(1), Dim.of(192)));
        Map<String, String> meta = new java.util.HashMap<>(COMMON);
        meta.put("framework", "3d-speaker");
        meta.put("normalize_samples", "1");
        meta.put("output_dim", "192");
        meta.put("feature_normalize_type", "global-mean");
        meta.put("model_type", "cam++");
        return n.build("3d-speaker", "3D-Speaker CAM++ shape", meta, 192);
    }

    static Built titanetSmall() throws IOException {
        Net n = new Net(36);
        String x = n.g.input("audio_signal", List.of(Dim.of(1), Dim.of(80), Dim.symbolic("T")));
        String length = n.g.input("length", OnnxWriter.INT64, List.of(Dim.of(1)));
        long t = NEMO_FRAMES_3S;
        int c = 256;
        String h = n.relu(separable(n, x, 80, c, 3, t));
        for (int kernel : new int[]{7, 11, 15}) {
            String y = h;
            for (int sub = 0; sub < 3; sub++) {
                y = separable(n, y, c, c, kernel, t);
                if (sub < 2) {
                    y = n.relu(y);
                }
            }
            // squeeze-excitation over time, then the residual 1x1 conv
            String squeeze = n.g.op("ReduceMean", y, n.g.longs(2), Attribute.of("keepdims", 1L));
            squeeze = n.relu(n.conv1d(squeeze, c, c / 8, 1, 1, 1, 1, 1));
            squeeze = n.g.op("Sigmoid", n.conv1d(squeeze, c / 8, c, 1, 1, 1, 1, 1));
            y = n.g.op("Mul", y, squeeze);
            h = n.relu(n.g.op("Add", y, n.conv1d(h, c, c, 1, 1, 1, 1, t)));
        }
        int epilog = 3072;
        h = n.relu(n.conv1d(h, c, epilog, 1, 1, 1, 1, t));
        // attentive statistics pooling; the length input gives the mean's divisor, as in NeMo's masked pooling
        String frames = n.g.op("Unsqueeze", n.g.op("Cast", length, Attribute.of("to", (long) OnnxWriter.FLOAT)),
                n.g.longs(1));
        frames = n.g.op("Unsqueeze", frames, n.g.longs(2));
        String mean = n.g.op("Div", n.g.op("ReduceSum", h, n.g.longs(2), Attribute.of("keepdims", 1L)), frames);
        String centred = n.g.op("Sub", h, mean);
        String std = n.g.op("Sqrt", n.g.op("Add", n.g.op("ReduceMean", n.g.op("Mul", centred, centred),
                n.g.longs(2), Attribute.of("keepdims", 1L)), n.scalar(1e-5f)));
        String global = n.g.op("Concat", List.of(h, n.g.op("Expand", mean, n.g.op("Shape", h)),
                n.g.op("Expand", std, n.g.op("Shape", h))), Attribute.of("axis", 1L));
        String attention = n.g.op("Tanh", n.relu(n.conv1d(global, 3 * epilog, 128, 1, 1, 1, 1, t)));
        attention = n.g.op("Softmax", n.conv1d(attention, 128, epilog, 1, 1, 1, 1, t), Attribute.of("axis", 2L));
        String weightedMean = n.g.op("ReduceSum", n.g.op("Mul", h, attention), n.g.longs(2),
                Attribute.of("keepdims", 0L));
        String weightedSq = n.g.op("ReduceSum", n.g.op("Mul", n.g.op("Mul", h, h), attention), n.g.longs(2),
                Attribute.of("keepdims", 0L));
        String variance = n.g.op("Relu", n.g.op("Sub", weightedSq, n.g.op("Mul", weightedMean, weightedMean)));
        String pooled = n.g.op("Concat", List.of(weightedMean, n.g.op("Sqrt", n.g.op("Add", variance,
                n.scalar(1e-5f)))), Attribute.of("axis", 1L));
        String embedding = n.dense(pooled, 2L * epilog, 192);
        int classes = 7205;
        String logits = n.dense(embedding, 192, classes);
        n.g.output(logits, "logits", List.of(Dim.of(1), Dim.of(classes)));
        n.g.output(embedding, "embs", List.of(Dim.of(1), Dim.of(192)));
        Map<String, String> meta = new java.util.HashMap<>();
        meta.put("framework", "nemo");
        meta.put("output_dim", "192");
        meta.put("sample_rate", "16000");
        meta.put("language", "English");
        meta.put("feat_dim", "80");
        meta.put("window_size_ms", "25");
        meta.put("window_stride_ms", "10");
        meta.put("window_type", "hann");
        meta.put("feature_normalize_type", "per_feature");
        meta.put("model_type", "titanet_small");
        return n.build("nemo", "NeMo TitaNet-small shape", meta, 192);
    }

    /** [1, T, 80] -> [1, 1, 80, T], the image the 2-D heads convolve. */
    private static String image(Net n, String x) {
        String ft = n.g.op("Transpose", x, Attribute.ints("perm", 0, 2, 1));
        return n.g.op("Unsqueeze", ft, n.g.longs(1));
    }

    /** Depthwise conv (kernel k over time) then pointwise {@code in -> out}. */
    private static String separable(Net n, String x, int in, int out, int k, long t) {
        String depthwise = n.conv1d(x, in, in, k, 1, 1, in, t);
        return n.conv1d(depthwise, in, out, 1, 1, 1, 1, t);
    }

    /** [1, C, T] -> [1, 2C]: mean and standard deviation over time (WeSpeaker's TSTP, CAM++'s StatsPool). */
    private static String statistics(Net n, String x) {
        String mean = n.g.op("ReduceMean", x, n.g.longs(2), Attribute.of("keepdims", 1L));
        String centred = n.g.op("Sub", x, mean);
        String variance = n.g.op("ReduceMean", n.g.op("Mul", centred, centred), n.g.longs(2),
                Attribute.of("keepdims", 0L));
        String std = n.g.op("Sqrt", n.g.op("Add", variance, n.scalar(1e-7f)));
        return n.g.op("Concat", List.of(n.g.op("Squeeze", mean, n.g.longs(2)), std), Attribute.of("axis", 1L));
    }

    /** A graph under construction that counts its parameters and its multiply-adds on a 3 s clip. */
    private static final class Net {
        final GraphBuilder g = new GraphBuilder();
        private final Random random;
        private long parameters;
        private double macs;

        Net(long seed) {
            random = new Random(seed);
        }

        /** Weights scaled by 1/sqrt(fan-in), so activations neither vanish nor overflow through the depth. */
        private String weight(String name, long fanIn, long... dims) {
            long count = 1;
            for (long d : dims) {
                count *= d;
            }
            float[] w = new float[Math.toIntExact(count)];
            float scale = (float) (Math.sqrt(3.0 / fanIn));
            for (int i = 0; i < w.length; i++) {
                w[i] = (random.nextFloat() * 2 - 1) * scale;
            }
            parameters += count;
            return g.weight(name, w, dims);
        }

        private String bias(int size) {
            float[] b = new float[size];
            for (int i = 0; i < size; i++) {
                b[i] = (random.nextFloat() - 0.5f) * 0.02f;
            }
            parameters += size;
            return g.weight("b", b, size);
        }

        String scalar(float value) {
            return g.weight("c", new float[]{value});
        }

        /** Square kernel {@code k}, strides (frequency, time), "same" padding; {@code positions} out, at 3 s. */
        String conv2d(String x, int in, int out, int k, int strideF, int strideT, long positions) {
            long fanIn = (long) in * k * k;
            macs += (double) positions * out * fanIn;
            int pad = (k - 1) / 2;
            return g.op("Conv", List.of(x, weight("w", fanIn, out, in, k, k), bias(out)),
                    Attribute.ints("kernel_shape", k, k), Attribute.ints("pads", pad, pad, pad, pad),
                    Attribute.ints("strides", strideF, strideT));
        }

        /** 1-D conv, "same" padding for the dilation; {@code frames} out, at 3 s. */
        String conv1d(String x, int in, int out, int k, int stride, int dilation, int group, long frames) {
            long fanIn = (long) in / group * k;
            macs += (double) frames * out * fanIn;
            int pad = dilation * (k - 1) / 2;
            return g.op("Conv", List.of(x, weight("w", fanIn, out, in / group, k), bias(out)),
                    Attribute.ints("kernel_shape", k), Attribute.ints("pads", pad, pad),
                    Attribute.ints("strides", stride), Attribute.ints("dilations", dilation),
                    Attribute.of("group", (long) group));
        }

        String relu(String x) {
            return g.op("Relu", x);
        }

        /** [1, in] -> [1, out]. */
        String dense(String x, long in, int out) {
            macs += (double) in * out;
            return g.op("Add", g.op("MatMul", x, weight("w", in, in, out)), bias(out));
        }

        Built build(String family, String shape, Map<String, String> metadata, int dimension) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            OnnxWriter.write(g.build(family, "speaker-embedding-bench", "1", metadata), bytes);
            return new Built(family, shape, bytes.toByteArray(), parameters, macs / 1e9, dimension);
        }
    }
}
