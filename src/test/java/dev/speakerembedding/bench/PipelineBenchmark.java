package dev.speakerembedding.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.audio.AudioNormalizer;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.embedding.AudioLimits;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.features.Fbank;
import dev.speakerembedding.features.FbankOptions;
import dev.speakerembedding.features.SentenceNormalization;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ModelRuntimeOptions.OptimizationLevel;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.speechbrain.EcapaHyperparams;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.model.speechbrain.SpeechbrainEcapa;
import dev.speakerembedding.model.speechbrain.SpeechbrainModel;

import java.io.ByteArrayOutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.BenchUtil.median;
import static dev.speakerembedding.bench.BenchUtil.millis;
import static dev.speakerembedding.bench.BenchUtil.quantile;

/**
 * Item 3 of the suite, in process, full-size model: the whole pipeline from WAV bytes ({@link SpeakerEmbedder}
 * with its per-stage {@code StageTimings}) on 3 s and 10 s clips, against a bare {@code OrtSession.run} on the same
 * features, against the model's matrix products alone (ECAPA's MatMul shapes from {@link ModelBenchmark}, written
 * with the project's ONNX writer and run by the same ONNX Runtime). The three are interleaved run by run, so a
 * slow spell of this shared machine hits all of them alike and their ratios stay meaningful.
 *
 * <p>Then the in-process throughput on 3 s clips for the ways concurrent requests can use the 2 cores (one at a
 * time with 2 intra-op threads, two at once sharing the session's threads, two at once with one thread each), and
 * with {@code --sweep} the ONNX Runtime session options (threads, optimisation level, arena, spinning).
 *
 * <p>Usage: {@code PipelineBenchmark --model <snapshot dir> --conformance <dir> --out <file.properties>
 * [--converted <dir>] [--runs 40] [--throughput-seconds 10] [--sweep]}. Put the classpath in CLASSPATH (ONNX
 * Runtime crashes on command lines longer than about 4 KB).
 */
public final class PipelineBenchmark {

    private static final int WARM_UP_RUNS = 8;
    private static final double[] CLIP_SECONDS = {3, 10};

    private final Path snapshot;
    private final Path converted;
    private final Path conformance;
    private final int runs;
    private final double throughputSeconds;
    private final BenchUtil.Results results = new BenchUtil.Results();
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();

    private PipelineBenchmark(Path snapshot, Path converted, Path conformance, int runs, double throughputSeconds) {
        this.snapshot = snapshot;
        this.converted = converted;
        this.conformance = conformance;
        this.runs = runs;
        this.throughputSeconds = throughputSeconds;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        Path snapshot = Path.of(require(a, "--model"));
        Path out = Path.of(require(a, "--out"));
        Path conformance = Path.of(require(a, "--conformance"));
        boolean tempConverted = !a.containsKey("--converted");
        Path converted = tempConverted ? Files.createTempDirectory("pipeline-bench") : Path.of(a.get("--converted"));
        try {
            PipelineBenchmark bench = new PipelineBenchmark(snapshot, converted, conformance,
                    Integer.parseInt(a.getOrDefault("--runs", "40")),
                    Double.parseDouble(a.getOrDefault("--throughput-seconds", "10")));
            bench.run(a.containsKey("--sweep"), !a.containsKey("--no-throughput"));
            bench.results.write(out);
            log("wrote %s", out);
        } finally {
            if (tempConverted) {
                BenchUtil.deleteRecursively(converted);
            }
        }
        // ONNX Runtime's native threads do not keep the JVM alive, but be explicit for the parent process.
        System.exit(0);
    }

    private void run(boolean sweep, boolean throughput) throws Exception {
        env.setTelemetry(false);
        int cores = Runtime.getRuntime().availableProcessors();
        results.put("inproc.cores", cores);
        // What the service runs with by default (MAX_CONCURRENT_INFERENCES = cores, so one thread each).
        ModelRuntimeOptions defaults = ModelRuntimeOptions.forService(cores, cores);
        results.put("inproc.options", describe(defaults));
        long t0 = System.nanoTime();
        ConversionInfo info = EcapaModel.convert(snapshot, converted);
        log("conversion %s in %.0f ms (%s)", info.convertedNow() ? "done" : "found", millis(System.nanoTime() - t0),
                info.onnxPath());
        EcapaHyperparams params = EcapaHyperparams.read(snapshot.resolve(SpeechbrainEcapa.HYPERPARAMS_FILE));

        try (SpeakerEmbedder embedder = new SpeakerEmbedder(EcapaModel.load(snapshot, converted, defaults));
             OrtSession bare = env.createSession(info.onnxPath().toString(), sessionOptions(defaults))) {
            for (double seconds : CLIP_SECONDS) {
                byte[] wav = Clips.mono16k(conformance, seconds);
                Features feats = features(wav, melCount(embedder));
                try (FloorGraph floor = new FloorGraph(params, feats.frames(), defaults.intraOpThreads())) {
                    compare("inproc." + (int) seconds + "s", wav, feats, embedder, bare, floor);
                }
            }
            // Information: a 44.1 kHz stereo upload, where resampling and the channel mean do real work.
            stagesOnly("inproc.3s_44k1_stereo", Clips.stereo44k1(conformance, 3), embedder);
        }
        if (throughput) {
            throughput();
        }
        if (sweep) {
            sweep(info, params);
        }
    }

    private record Features(float[] values, int frames) {
    }

    /** The features the pipeline feeds the session, computed by the same classes SpeakerEmbedder uses. */
    private static Features features(byte[] wav, int melCount) throws Exception {
        DecodedAudio audio = WavDecoder.decode(wav, AudioLimits.UNBOUNDED.maxSamplesPerChannel());
        float[] mono = AudioNormalizer.toMono16k(audio);
        FbankOptions d = FbankOptions.speechbrainDefaults();
        Fbank fbank = new Fbank(new FbankOptions(d.sampleRateHz(), d.fftSize(), d.hopLength(), melCount, d.topDb(),
                d.minPower()));
        int frames = fbank.frameCount(mono.length);
        return new Features(SentenceNormalization.subtractMean(fbank.computeDb(mono), frames, melCount), frames);
    }

    /** Pipeline, bare session and MatMul floor, interleaved run by run. */
    /** The benchmark times speechbrain's ECAPA model. */
    private static int melCount(SpeakerEmbedder embedder) {
        return ((SpeechbrainModel) embedder.model()).ecapa().melCount();
    }

    private void compare(String key, byte[] wav, Features feats, SpeakerEmbedder embedder, OrtSession bare,
                         FloorGraph floor) throws Exception {
        long[] shape = {1, feats.frames(), melCount(embedder)};
        String input = bare.getInputNames().iterator().next();
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
            bareRun(bare, input, feats.values(), shape);
            floor.run();
        }
        double[] total = new double[runs];
        double[] decode = new double[runs];
        double[] resample = new double[runs];
        double[] fbank = new double[runs];
        double[] onnx = new double[runs];
        double[] bareMs = new double[runs];
        double[] floorMs = new double[runs];
        for (int r = 0; r < runs; r++) {
            long a = System.nanoTime();
            EmbeddingResult result = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
            long b = System.nanoTime();
            bareRun(bare, input, feats.values(), shape);
            long c = System.nanoTime();
            floor.run();
            long d = System.nanoTime();
            total[r] = millis(b - a);
            bareMs[r] = millis(c - b);
            floorMs[r] = millis(d - c);
            decode[r] = millis(result.timings().decodeNanos());
            resample[r] = millis(result.timings().resampleNanos());
            fbank[r] = millis(result.timings().fbankNanos());
            onnx[r] = millis(result.timings().inferenceNanos());
        }
        results.put(key + ".frames", feats.frames());
        results.put(key + ".runs", runs);
        results.put(key + ".decode_ms", median(decode));
        results.put(key + ".resample_ms", median(resample));
        results.put(key + ".fbank_ms", median(fbank));
        results.put(key + ".onnx_ms", median(onnx));
        results.put(key + ".pipeline_ms", median(total));
        results.put(key + ".pipeline_p90_ms", quantile(total, 0.9));
        results.put(key + ".bare_ms", median(bareMs));
        results.put(key + ".bare_p90_ms", quantile(bareMs, 0.9));
        results.put(key + ".floor_ms", median(floorMs));
        results.put(key + ".pipeline_over_bare", median(total) / median(bareMs));
        results.put(key + ".bare_over_floor", median(bareMs) / median(floorMs));
        log("%s (%d frames): decode %.2f, resample %.2f, fbank %.2f, onnx %.1f -> pipeline %.1f ms; bare run %.1f ms;"
                        + " MatMuls alone %.1f ms; pipeline/bare %.3f, bare/floor %.3f", key, feats.frames(),
                median(decode), median(resample), median(fbank), median(onnx), median(total), median(bareMs),
                median(floorMs), median(total) / median(bareMs), median(bareMs) / median(floorMs));
    }

    private void stagesOnly(String key, byte[] wav, SpeakerEmbedder embedder) throws Exception {
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
        }
        int n = Math.max(10, runs / 2);
        double[] total = new double[n];
        double[] decode = new double[n];
        double[] resample = new double[n];
        double[] fbank = new double[n];
        double[] onnx = new double[n];
        for (int r = 0; r < n; r++) {
            long a = System.nanoTime();
            EmbeddingResult result = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
            total[r] = millis(System.nanoTime() - a);
            decode[r] = millis(result.timings().decodeNanos());
            resample[r] = millis(result.timings().resampleNanos());
            fbank[r] = millis(result.timings().fbankNanos());
            onnx[r] = millis(result.timings().inferenceNanos());
        }
        results.put(key + ".decode_ms", median(decode));
        results.put(key + ".resample_ms", median(resample));
        results.put(key + ".fbank_ms", median(fbank));
        results.put(key + ".onnx_ms", median(onnx));
        results.put(key + ".pipeline_ms", median(total));
        log("%s: decode %.2f, resample %.2f, fbank %.2f, onnx %.1f -> pipeline %.1f ms", key, median(decode),
                median(resample), median(fbank), median(onnx), median(total));
    }

    private void bareRun(OrtSession session, String input, float[] feats, long[] shape) throws OrtException {
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(feats), shape);
             OrtSession.Result ignored = session.run(Map.of(input, tensor))) {
            // the output is read by nobody: the bare cost of a run
        }
    }

    /**
     * Requests per second through the whole pipeline (3 s clips, from WAV bytes) with {@code workers} threads
     * calling one shared embedder back to back: the most this process can do on these cores.
     */
    private void throughput() throws Exception {
        byte[] wav = Clips.mono16k(conformance, 3);
        record Config(String name, int workers, ModelRuntimeOptions options) {
        }
        int cores = Runtime.getRuntime().availableProcessors();
        // The service's default (adaptive: every core alone, one thread each when runs overlap) at 1 to 8 callers,
        // against fixed thread counts: all cores for every run, and one thread per run.
        ModelRuntimeOptions service = ModelRuntimeOptions.forService(cores, cores);
        ModelRuntimeOptions allCores = service.withIntraOpThreads(cores);
        ModelRuntimeOptions one = service.withIntraOpThreads(1);
        List<Config> configs = List.of(
                new Config("w1_service", 1, service),
                new Config("w2_service", 2, service),
                new Config("w4_service", 4, service),
                new Config("w8_service", 8, service),
                new Config("w1_allcores", 1, allCores),
                new Config("w2_allcores", 2, allCores),
                new Config("w1_intra1", 1, one),
                new Config("w2_intra1", 2, one));
        double best = 0;
        String bestName = "";
        for (Config c : configs) {
            try (SpeakerEmbedder embedder = new SpeakerEmbedder(EcapaModel.load(snapshot, converted, c.options()))) {
                double[] r = closedLoop(embedder, wav, c.workers(), throughputSeconds);
                String key = "inproc.tput." + c.name();
                results.put(key + ".rps", r[0]);
                results.put(key + ".p50_ms", r[1]);
                results.put(key + ".options", c.workers() + " workers, " + describe(c.options()));
                log("throughput %-18s %6.2f req/s, p50 %.1f ms (%d workers, %s)", c.name(), r[0], r[1], c.workers(),
                        describe(c.options()));
                if (r[0] > best) {
                    best = r[0];
                    bestName = c.name();
                }
            }
        }
        results.put("inproc.tput.best_rps", best);
        results.put("inproc.tput.best", bestName);
        double lone = Math.min(results.number("inproc.tput.w1_allcores.p50_ms"),
                results.number("inproc.tput.w1_intra1.p50_ms"));
        results.put("inproc.lone.best_p50_ms", lone);
        results.put("inproc.lone.service_over_best", results.number("inproc.tput.w1_service.p50_ms") / lone);
    }

    /** {requests per second, median latency ms} of {@code workers} threads embedding back to back. */
    static double[] closedLoop(SpeakerEmbedder embedder, byte[] wav, int workers, double seconds)
            throws Exception {
        return closedLoop(workers, 3, seconds, () -> embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED));
    }

    /** One call a worker makes back to back. */
    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    /**
     * {calls per second, median latency ms} of {@code workers} threads making {@code call} back to back for
     * {@code seconds}, after a warm-up of at most {@code maxWarmUpSeconds} (a third of the window) that is not counted.
     */
    static double[] closedLoop(int workers, double maxWarmUpSeconds, double seconds, Call call) throws Exception {
        runWorkers(workers, Math.min(maxWarmUpSeconds, seconds / 3), null, call);
        List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        double elapsed = runWorkers(workers, seconds, latencies, call);
        double[] l = latencies.stream().mapToDouble(Double::doubleValue).toArray();
        return new double[]{l.length / elapsed, median(l)};
    }

    private static double runWorkers(int workers, double seconds, List<Double> latencies, Call call)
            throws Exception {
        CountDownLatch done = new CountDownLatch(workers);
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        long[] lastEnd = new long[workers];
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        for (int w = 0; w < workers; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        long a = System.nanoTime();
                        if (a >= deadline) {
                            break;
                        }
                        call.run();
                        long b = System.nanoTime();
                        lastEnd[id] = b;
                        if (latencies != null) {
                            latencies.add(millis(b - a));
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            }, "bench-worker-" + w);
            t.start();
        }
        done.await();
        if (!errors.isEmpty()) {
            throw new IllegalStateException("worker failed", errors.get(0));
        }
        long end = start;
        for (long e : lastEnd) {
            end = Math.max(end, e);
        }
        // calls that started before the deadline all count: the window ends when the last one finishes
        return (end - start) / 1e9;
    }

    /**
     * Bare session medians at 3 s for ONNX Runtime's options: threads x optimisation level, arena, memory
     * pattern, spinning. Sessions are created one at a time; all time the same features.
     */
    private void sweep(ConversionInfo info, EcapaHyperparams params) throws Exception {
        byte[] wav = Clips.mono16k(conformance, 3);
        Features feats = features(wav, params.nMels());
        long[] shape = {1, feats.frames(), params.nMels()};
        record Variant(String name, ModelRuntimeOptions options, boolean arena, boolean memPattern) {
        }
        ModelRuntimeOptions d = ModelRuntimeOptions.defaults();
        List<Variant> variants = new ArrayList<>();
        for (int threads : new int[]{1, 2}) {
            for (OptimizationLevel level : new OptimizationLevel[]{OptimizationLevel.BASIC,
                    OptimizationLevel.EXTENDED, OptimizationLevel.ALL}) {
                variants.add(new Variant("t" + threads + "_" + level, d.withIntraOpThreads(threads)
                        .withOptimizationLevel(level), true, true));
            }
            variants.add(new Variant("t" + threads + "_ALL_nospin", d.withIntraOpThreads(threads)
                    .withAllowSpinning(false), true, true));
            variants.add(new Variant("t" + threads + "_ALL_noarena", d.withIntraOpThreads(threads), false, true));
            variants.add(new Variant("t" + threads + "_ALL_nomempattern", d.withIntraOpThreads(threads), true, false));
        }
        for (Variant v : variants) {
            try (OrtSession.SessionOptions so = sessionOptions(v.options())) {
                so.setCPUArenaAllocator(v.arena());
                so.setMemoryPatternOptimization(v.memPattern());
                long c0 = System.nanoTime();
                try (OrtSession session = env.createSession(info.onnxPath().toString(), so)) {
                    double create = millis(System.nanoTime() - c0);
                    String input = session.getInputNames().iterator().next();
                    for (int i = 0; i < WARM_UP_RUNS; i++) {
                        bareRun(session, input, feats.values(), shape);
                    }
                    double[] ms = new double[runs];
                    for (int r = 0; r < runs; r++) {
                        long a = System.nanoTime();
                        bareRun(session, input, feats.values(), shape);
                        ms[r] = millis(System.nanoTime() - a);
                    }
                    results.put("sweep." + v.name() + ".bare_ms", median(ms));
                    results.put("sweep." + v.name() + ".create_ms", create);
                    log("sweep %-22s bare run %.1f ms (p90 %.1f), session creation %.0f ms", v.name(), median(ms),
                            quantile(ms, 0.9), create);
                }
            }
        }
    }

    static String describe(ModelRuntimeOptions o) {
        return o.describeThreads() + ", inter-op "
                + o.interOpThreads() + ", " + o.optimizationLevel() + ", spinning " + (o.allowSpinning() ? "on" : "off");
    }

    /** The session options EcapaModel uses for {@code options} (kept in step with EcapaModel.openSession). */
    static OrtSession.SessionOptions sessionOptions(ModelRuntimeOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        if (options.intraOpThreads() > 0) {
            so.setIntraOpNumThreads(options.intraOpThreads());
        }
        so.setInterOpNumThreads(options.interOpThreads());
        so.setExecutionMode(options.interOpThreads() > 1 ? OrtSession.SessionOptions.ExecutionMode.PARALLEL
                : OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        so.setOptimizationLevel(switch (options.optimizationLevel()) {
            case DISABLED -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
        });
        so.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
        // As OnnxSessions opens the service's sessions: a pool left spinning after its run would take the second
        // core from the next session's run (the pipeline, the bare session and the MatMul floor run in turn here).
        so.addConfigEntry("session.force_spinning_stop", "1");
        return so;
    }

    /**
     * ONNX Runtime running only ECAPA's matrix products at a given frame count: the shapes of
     * {@link ModelBenchmark#matMulShapes}, one graph input per distinct inner dimension, one element of each
     * product as output (so the products stay in the session's arena, like the model's intermediate values).
     */
    static final class FloorGraph implements AutoCloseable {
        private final OrtSession session;
        private final Map<String, OnnxTensor> feeds = new HashMap<>();

        FloorGraph(EcapaHyperparams params, int frames, int intraOpThreads) throws Exception {
            GraphBuilder g = new GraphBuilder();
            Map<Integer, String> inputs = new LinkedHashMap<>();
            Random random = new Random(7);
            List<String> corners = new ArrayList<>();
            for (int[] s : ModelBenchmark.matMulShapes(params)) {
                String in = inputs.computeIfAbsent(s[0], w -> g.input("x" + w, List.of(Dim.of(frames), Dim.of(w))));
                float[] w = new float[s[0] * s[1]];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) random.nextGaussian() * 0.02f;
                }
                String y = g.op("MatMul", in, g.weight("w", w, s[0], s[1]));
                corners.add(g.op("Slice", List.of(y, g.longs(0, 0), g.longs(1, 1))));
            }
            g.output(g.op("Concat", corners, OnnxWriter.Attribute.of("axis", 1L)), "corners",
                    List.of(Dim.of(1), Dim.of(corners.size())));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            OnnxWriter.write(g.build("matmuls", "speaker-embedding", "bench", Map.of()), bytes);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions so = sessionOptions(ModelRuntimeOptions.defaults()
                    .withIntraOpThreads(intraOpThreads))) {
                session = env.createSession(bytes.toByteArray(), so);
            }
            Random data = new Random(frames);
            for (int width : inputs.keySet()) {
                float[] x = new float[frames * width];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) data.nextGaussian() * 5f;
                }
                feeds.put("x" + width, OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{frames, width}));
            }
        }

        void run() throws OrtException {
            try (OrtSession.Result ignored = session.run(feeds)) {
                // timing only
            }
        }

        @Override
        public void close() throws OrtException {
            feeds.values().forEach(OnnxTensor::close);
            session.close();
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            a.put(args[i], flag ? "" : args[++i]);
        }
        return a;
    }

    static String require(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v;
    }
}
