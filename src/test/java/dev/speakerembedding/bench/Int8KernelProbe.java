package dev.speakerembedding.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;

import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Why MODEL_PRECISION=int8 uses dynamic quantisation: the full ECAPA's convolutions at 301 frames (3 s) as one graph,
 * run by ONNX Runtime's candidate kernels. Speed only: the static variants use a fixed activation scale instead of
 * calibrated ones, which would only change the numbers, not the time.
 * <ul>
 *   <li>float32: MatMul on the im2col matrix (what the float32 graph runs, as Gemm);</li>
 *   <li>dynamic: com.microsoft.DynamicQuantizeMatMul (what the int8 graph writes);</li>
 *   <li>matmul-integer: standard ONNX DynamicQuantizeLinear + MatMulInteger + Cast + Mul (ORT's ALL level fuses it
 *       into DynamicQuantizeMatMul: the same time);</li>
 *   <li>static-matmul: QuantizeLinear + QLinearMatMul + DequantizeLinear (static activation scales);</li>
 *   <li>static-conv: QuantizeLinear + QLinearConv + DequantizeLinear on [1, C, T], zero padding, no im2col.</li>
 * </ul>
 * Usage: {@code Int8KernelProbe [--threads 1] [--runs 30]}.
 */
public final class Int8KernelProbe {

    private static final int FRAMES = 301;
    /** in, out, kernel, dilation of ECAPA's frame-wise convolutions (spkrec-ecapa-voxceleb shapes). */
    private static final int[][] CONVS = convs();

    private Int8KernelProbe() {
    }

    private static int[][] convs() {
        List<int[]> c = new ArrayList<>();
        c.add(new int[]{80, 1024, 5, 1});
        for (int block = 1; block <= 3; block++) {
            c.add(new int[]{1024, 1024, 1, 1});
            for (int j = 0; j < 7; j++) {
                c.add(new int[]{128, 128, 3, block + 1});
            }
            c.add(new int[]{1024, 1024, 1, 1});
        }
        c.add(new int[]{3072, 3072, 1, 1});
        c.add(new int[]{3072, 128, 1, 1});
        c.add(new int[]{128, 3072, 1, 1});
        return c.toArray(int[][]::new);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = PipelineBenchmark.parse(args);
        int threads = Integer.parseInt(a.getOrDefault("--threads", "1"));
        int runs = Integer.parseInt(a.getOrDefault("--runs", "30"));
        System.out.printf("%d convolutions at %d frames, %d intra-op thread(s); %s%n", CONVS.length, FRAMES, threads,
                ProfileIndexBenchmark.cpuFlags());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (String variant : List.of("float32", "dynamic", "matmul-integer", "static-matmul", "static-conv")) {
            byte[] model = graph(variant);
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession session = env.createSession(model, options)) {
                    Map<String, OnnxTensor> feeds = new HashMap<>();
                    try {
                        for (String name : session.getInputNames()) {
                            int width = Integer.parseInt(name.substring(1));
                            boolean channelMajor = variant.equals("static-conv");
                            feeds.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(noise(FRAMES * width)),
                                    channelMajor ? new long[]{1, width, FRAMES} : new long[]{FRAMES, width}));
                        }
                        for (int i = 0; i < 5; i++) {
                            session.run(feeds).close();
                        }
                        double[] millis = new double[runs];
                        for (int i = 0; i < runs; i++) {
                            long t0 = System.nanoTime();
                            session.run(feeds).close();
                            millis[i] = (System.nanoTime() - t0) / 1e6;
                        }
                        System.out.printf("  %-14s median %7.1f ms  min %7.1f ms%n", variant, BenchUtil.median(millis),
                                Arrays.stream(millis).min().orElse(Double.NaN));
                    } finally {
                        feeds.values().forEach(OnnxTensor::close);
                    }
                }
            }
        }
    }

    private static byte[] graph(String variant) throws Exception {
        GraphBuilder g = new GraphBuilder();
        Map<Integer, String> inputs = new LinkedHashMap<>();
        Random random = new Random(7);
        List<String> corners = new ArrayList<>();
        boolean conv = variant.equals("static-conv");
        boolean quantisedStatically = variant.startsWith("static");
        String xScale = quantisedStatically ? g.weight("x_scale", new float[]{0.05f}) : null;
        String xZero = quantisedStatically ? g.uint8Weight("x_zero", new byte[]{(byte) 128}) : null;
        for (int[] c : CONVS) {
            int in = c[0];
            int out = c[1];
            int k = c[2];
            int d = c[3];
            String x = inputs.computeIfAbsent(in, w -> g.input("x" + w, conv
                    ? List.of(Dim.of(1), Dim.of(w), Dim.of(FRAMES)) : List.of(Dim.of(FRAMES), Dim.of(w))));
            int rows = in * k;
            byte[] wq = new byte[rows * out];
            for (int i = 0; i < wq.length; i++) {
                wq[i] = (byte) (random.nextInt(255) - 127);
            }
            float[] scales = new float[out];
            Arrays.fill(scales, 0.001f);
            String y;
            if (conv) {
                String w = g.int8Weight("w", wq, out, in, k);
                String zeros = g.int8Weight("wz", new byte[out], out);
                String xq = g.op("QuantizeLinear", List.of(x, xScale, xZero));
                long pad = (long) d * (k - 1) / 2;
                y = g.op("QLinearConv", List.of(xq, xScale, xZero, w, g.weight("ws", scales, out), zeros, xScale,
                        xZero), Attribute.ints("dilations", d), Attribute.ints("pads", pad, pad));
                y = g.op("DequantizeLinear", List.of(y, xScale, xZero));
                corners.add(g.op("Reshape", g.op("Slice", List.of(y, g.longs(0, 0, 0), g.longs(1, 1, 1))),
                        g.longs(1, 1)));
                continue;
            }
            String columns = x;
            if (k > 1) {
                List<String> taps = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    taps.add(x);
                }
                columns = g.op("Concat", taps, Attribute.of("axis", 1L));
            }
            switch (variant) {
                case "float32" -> {
                    float[] w = new float[rows * out];
                    for (int i = 0; i < w.length; i++) {
                        w[i] = wq[i] * 0.001f;
                    }
                    y = g.op("MatMul", columns, g.weight("w", w, rows, out));
                }
                case "dynamic" -> y = g.microsoftOp("DynamicQuantizeMatMul", List.of(columns,
                        g.int8Weight("w", wq, rows, out), g.weight("ws", scales, out)));
                case "matmul-integer" -> {
                    List<String> q = g.ops("DynamicQuantizeLinear", List.of(columns), 3);
                    String product = g.op("MatMulInteger", List.of(q.get(0), g.int8Weight("w", wq, rows, out),
                            q.get(2)));
                    String real = g.op("Cast", product, Attribute.of("to", (long) OnnxWriter.FLOAT));
                    y = g.op("Mul", real, g.op("Mul", q.get(1), g.weight("ws", scales, out)));
                }
                case "static-matmul" -> {
                    String xq = g.op("QuantizeLinear", List.of(columns, xScale, xZero));
                    String zeros = g.int8Weight("wz", new byte[out], out);
                    y = g.op("QLinearMatMul", List.of(xq, xScale, xZero, g.int8Weight("w", wq, rows, out),
                            g.weight("ws", scales, out), zeros, xScale, xZero));
                    y = g.op("DequantizeLinear", List.of(y, xScale, xZero));
                }
                default -> throw new IllegalArgumentException(variant);
            }
            corners.add(g.op("Slice", List.of(y, g.longs(0, 0), g.longs(1, 1))));
        }
        g.output(g.op("Concat", corners, Attribute.of("axis", 1L)), "corners",
                List.of(Dim.of(1), Dim.of(corners.size())));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OnnxWriter.write(g.build("int8-kernels", "speaker-embedding", "bench", Map.of()), bytes);
        return bytes.toByteArray();
    }

    private static float[] noise(int n) {
        Random random = new Random(n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
