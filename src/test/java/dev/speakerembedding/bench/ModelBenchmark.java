package dev.speakerembedding.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions.OptimizationLevel;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.speechbrain.EcapaHyperparams;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.model.speechbrain.SpeechbrainEcapa;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Times {@link EcapaModel#embed} on 3 s and 10 s of features against the floor: a graph holding only ECAPA's
 * matrix products (speechbrain's shapes, 31 MatMuls) run by the same ONNX Runtime. The two are run alternately,
 * so load from other processes hits both alike and the ratio stays meaningful on a shared machine.
 *
 * <p>Usage: {@code ModelBenchmark <snapshot dir> [--threads 2] [--runs 30] [--sweep]}. Put the classpath in the
 * CLASSPATH variable or an @argfile rather than on the command line: ONNX Runtime 1.29 crashes while creating its
 * environment when the process command line exceeds about 4 KB.
 */
public final class ModelBenchmark {

    private static final int WARM_UP_RUNS = 5;
    private static final int FRAMES_PER_SECOND = 100;

    private ModelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ModelBenchmark <snapshot dir> [--threads N] [--runs N] [--sweep]");
            System.exit(2);
        }
        Path snapshot = Path.of(args[0]);
        int threads = 2;
        int runs = 30;
        boolean sweep = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--sweep" -> sweep = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path converted = Files.createTempDirectory("ecapa-bench");
        try {
            run(snapshot, converted, threads, runs, sweep);
        } finally {
            deleteRecursively(converted);
        }
    }

    private static void run(Path snapshot, Path converted, int threads, int runs, boolean sweep)
            throws ModelFormatException, OrtException, IOException {
        EcapaHyperparams params = EcapaHyperparams.read(snapshot.resolve(SpeechbrainEcapa.HYPERPARAMS_FILE));
        ConversionInfo info = EcapaModel.convert(snapshot, converted);
        System.out.printf("conversion: %d ms, %d bytes%n", info.conversionMillis(), Files.size(info.onnxPath()));
        System.out.printf("cores: %d, runs: %d after %d warm-up, load average %s%n",
                Runtime.getRuntime().availableProcessors(), runs, WARM_UP_RUNS, loadAverage());

        List<ModelRuntimeOptions> configurations = new ArrayList<>();
        ModelRuntimeOptions chosen = ModelRuntimeOptions.defaults().withIntraOpThreads(threads);
        configurations.add(chosen);
        if (sweep) {
            for (int t = 0; t <= Runtime.getRuntime().availableProcessors(); t++) {
                for (OptimizationLevel level : OptimizationLevel.values()) {
                    for (boolean spinning : new boolean[]{true, false}) {
                        ModelRuntimeOptions o = new ModelRuntimeOptions(t, 1, level, spinning);
                        if (!o.equals(chosen)) {
                            configurations.add(o);
                        }
                    }
                }
            }
        }
        for (int seconds : new int[]{3, 10}) {
            int frames = seconds * FRAMES_PER_SECOND + 1;
            float[] feats = features(frames, params.nMels());
            System.out.printf("%n%d s (%d frames), floor = ECAPA's MatMuls alone, %d intra-op threads%n", seconds,
                    frames, threads);
            try (MatMulFloor floor = new MatMulFloor(params, frames, threads)) {
                for (ModelRuntimeOptions options : configurations) {
                    try (EcapaModel model = EcapaModel.load(snapshot, converted, options)) {
                        Timing[] t = timeAlternately(floor::run, () -> model.embed(feats, frames), runs);
                        System.out.printf("  model median %6.1f ms (p90 %6.1f, min %6.1f) | floor median %6.1f ms"
                                        + " (min %6.1f) | %.2fx  [intra-op threads %d, %s, spinning %s]%n",
                                t[1].median(), t[1].p90(), t[1].min(), t[0].median(), t[0].min(),
                                t[1].median() / t[0].median(), options.intraOpThreads(),
                                options.optimizationLevel(), options.allowSpinning());
                    }
                }
            }
        }
    }

    /** ECAPA's matrix products as [K, N] weight shapes of [frames, K] x [K, N] MatMuls (speechbrain's shapes). */
    static List<int[]> matMulShapes(EcapaHyperparams params) {
        List<int[]> shapes = new ArrayList<>();
        List<Integer> ch = params.channels();
        List<Integer> k = params.kernelSizes();
        shapes.add(new int[]{params.nMels() * k.get(0), ch.get(0)});
        int aggregated = 0;
        for (int i = 1; i < params.blockCount(); i++) {
            int width = ch.get(i) / params.res2netScale();
            shapes.add(new int[]{ch.get(i - 1), ch.get(i)});
            for (int j = 0; j < params.res2netScale() - 1; j++) {
                shapes.add(new int[]{width * k.get(i), width});
            }
            shapes.add(new int[]{ch.get(i), ch.get(i)});
            aggregated += ch.get(i);
        }
        int mfa = params.mfaChannels();
        shapes.add(new int[]{aggregated * k.get(ch.size() - 1), mfa});
        shapes.add(new int[]{params.globalContext() ? 3 * mfa : mfa, params.attentionChannels()});
        shapes.add(new int[]{params.attentionChannels(), mfa});
        return shapes;
    }

    /** A session running only ECAPA's MatMuls, with its inputs ready. */
    private static final class MatMulFloor implements AutoCloseable {
        private final OrtSession session;
        private final Map<String, OnnxTensor> feeds = new HashMap<>();

        MatMulFloor(EcapaHyperparams params, int frames, int threads) throws IOException, OrtException {
            GraphBuilder g = new GraphBuilder();
            Map<Integer, String> inputs = new LinkedHashMap<>();
            Random random = new Random(7);
            List<String> corners = new ArrayList<>();
            for (int[] shape : matMulShapes(params)) {
                String in = inputs.computeIfAbsent(shape[0],
                        width -> g.input("x" + width, List.of(Dim.of(frames), Dim.of(width))));
                float[] w = new float[shape[0] * shape[1]];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) random.nextGaussian() * 0.02f;
                }
                String y = g.op("MatMul", in, g.weight("w", w, shape[0], shape[1]));
                // One element per product as output: the products stay in the session's arena like the model's
                // intermediate values, instead of 31 freshly allocated output tensors per run.
                corners.add(g.op("Slice", List.of(y, g.longs(0, 0), g.longs(1, 1))));
            }
            g.output(g.op("Concat", corners, Attribute.of("axis", 1L)), "corners",
                    List.of(Dim.of(1), Dim.of(corners.size())));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            OnnxWriter.write(g.build("matmuls", "speaker-embedding", "bench", Map.of()), bytes);

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = env.createSession(bytes.toByteArray(), options);
            }
            try {
                for (int width : inputs.keySet()) {
                    feeds.put("x" + width, OnnxTensor.createTensor(env, FloatBuffer.wrap(features(frames, width)),
                            new long[]{frames, width}));
                }
            } catch (OrtException e) {
                close();
                throw e;
            }
        }

        Object run() throws OrtException {
            try (OrtSession.Result ignored = session.run(feeds)) {
                return null;
            }
        }

        @Override
        public void close() throws OrtException {
            feeds.values().forEach(OnnxTensor::close);
            session.close();
        }
    }

    private interface Call {
        Object run() throws OrtException;
    }

    private record Timing(double median, double p90, double min) {
        static Timing of(double[] millis) {
            double[] sorted = millis.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return new Timing(sorted[n / 2], sorted[(int) Math.min(n - 1, Math.round(n * 0.9))], sorted[0]);
        }
    }

    /** Runs a and b in turn, {@code runs} times each after warm-up; returns their timings in that order. */
    private static Timing[] timeAlternately(Call a, Call b, int runs) throws OrtException {
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            a.run();
            b.run();
        }
        Call[] calls = {a, b};
        double[][] millis = new double[2][runs];
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < 2; k++) {
                long t0 = System.nanoTime();
                calls[k].run();
                millis[k][i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return new Timing[]{Timing.of(millis[0]), Timing.of(millis[1])};
    }

    /** Normal(0, 5) values: the spread of sentence-normalised log-mel features in dB. */
    private static float[] features(int frames, int width) {
        Random random = new Random(frames * 31L + width);
        float[] x = new float[frames * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * 5f;
        }
        return x;
    }

    private static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "n/a" : String.format("%.1f", load);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
