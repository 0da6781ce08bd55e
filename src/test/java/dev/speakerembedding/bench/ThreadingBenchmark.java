package dev.speakerembedding.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.GuardedSession;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.OnnxSessions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.model.speechbrain.EcapaOnnxBuilder;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.PipelineBenchmark.parse;
import static dev.speakerembedding.bench.PipelineBenchmark.require;

/**
 * How concurrent requests should share the cores: bare {@code OrtSession.run} on 3 s of features (301 frames) of the
 * converted checkpoint, for each way of giving ONNX Runtime its threads, at 1, 2, 4 and 8 callers running back to
 * back. Per-session pools are measured in one process; ONNX Runtime's global pool must be configured before the
 * environment exists, so {@code --global-pool} measures it in a process of its own.
 *
 * <p>{@code java ThreadingBenchmark --model <snapshot> --out <file> [--converted <dir>] [--seconds 6] [--global-pool]}
 */
public final class ThreadingBenchmark {

    private static final int FRAMES = 301;
    static final int[] CALLERS = {1, 2, 4, 8};
    /** As the service opens its sessions; {@code -Dbench.forceSpinningStop=false} measures without. */
    private static final boolean FORCE_SPINNING_STOP =
            Boolean.parseBoolean(System.getProperty("bench.forceSpinningStop", "true"));
    /** Every strategy measured, in the report's order (the global pool ones come from a process of their own). */
    static final List<String> STRATEGIES = List.of("fixed_1", "fixed_all", "fixed_all_nospin", "global_pool",
            "global_pool_nospin", "adaptive", "adaptive_nospin_wide", "adaptive_service");

    /** A way to run: which session serves a call, given how many calls are in flight (this one included). */
    private interface Strategy extends AutoCloseable {
        OrtSession sessionFor(int inFlight);

        /** One run with {@code inFlight} runs in progress, this one included. */
        default OrtSession.Result run(int inFlight, Map<String, OnnxTensor> inputs) throws OrtException {
            return sessionFor(inFlight).run(inputs);
        }

        @Override
        void close() throws Exception;
    }

    private final OrtEnvironment env;
    private final Path onnx;
    private final int mels;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final double seconds;
    private final BenchUtil.Results results = new BenchUtil.Results();

    private ThreadingBenchmark(OrtEnvironment env, Path onnx, int mels, double seconds) {
        this.env = env;
        this.onnx = onnx;
        this.mels = mels;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        Path snapshot = Path.of(require(a, "--model"));
        Path out = Path.of(require(a, "--out"));
        boolean globalPool = a.containsKey("--global-pool");
        int cores = Runtime.getRuntime().availableProcessors();
        OrtEnvironment env;
        if (globalPool) {
            try (OrtEnvironment.ThreadingOptions threading = new OrtEnvironment.ThreadingOptions()) {
                threading.setGlobalIntraOpNumThreads(cores);
                threading.setGlobalInterOpNumThreads(1);
                threading.setGlobalSpinControl(!a.containsKey("--no-spin"));
                env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "bench", threading);
            }
        } else {
            env = OrtEnvironment.getEnvironment();
        }
        env.setTelemetry(false);
        Path converted = a.containsKey("--converted") ? Path.of(a.get("--converted"))
                : Files.createTempDirectory("threading-bench");
        ConversionInfo info = EcapaModel.convert(snapshot, converted);
        ThreadingBenchmark bench = new ThreadingBenchmark(env, info.onnxPath(), 80,
                Double.parseDouble(a.getOrDefault("--seconds", "6")));
        if (a.containsKey("--strategies")) {
            bench.only = Set.of(a.get("--strategies").split(","));
        }
        log("cpu: %s; %d cores", ProfileIndexBenchmark.cpuFlags(), cores);
        bench.results.put("threads.cpu_flags", ProfileIndexBenchmark.cpuFlags());
        if (globalPool) {
            bench.measure("global_pool" + (a.containsKey("--no-spin") ? "_nospin" : ""), () -> bench.globalPool());
        } else {
            bench.measure("fixed_1", () -> bench.fixed(1, true));
            bench.measure("fixed_all", () -> bench.fixed(cores, true));
            bench.measure("fixed_all_nospin", () -> bench.fixed(cores, false));
            bench.measure("adaptive", () -> bench.adaptive(true));
            bench.measure("adaptive_nospin_wide", () -> bench.adaptive(false));
            bench.measure("adaptive_service", () -> bench.service());
        }
        bench.results.write(out);
        System.exit(0);
    }

    private OrtSession open(int threads, boolean spin, boolean perSessionThreads) throws Exception {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            if (perSessionThreads) {
                so.setIntraOpNumThreads(threads);
                so.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
                so.addConfigEntry("session.force_spinning_stop", FORCE_SPINNING_STOP ? "1" : "0");
            } else {
                so.disablePerSessionThreads();
            }
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(onnx.toString(), so);
        }
    }

    private Strategy fixed(int threads, boolean spin) throws Exception {
        OrtSession s = open(threads, spin, true);
        return new Strategy() {
            public OrtSession sessionFor(int inFlight) {
                return s;
            }

            public void close() throws Exception {
                s.close();
            }
        };
    }

    private Strategy globalPool() throws Exception {
        return fixedSession(open(0, true, false));
    }

    private static Strategy fixedSession(OrtSession s) {
        return new Strategy() {
            public OrtSession sessionFor(int inFlight) {
                return s;
            }

            public void close() throws Exception {
                s.close();
            }
        };
    }

    /** All cores for a lone call, one thread each when calls overlap. */
    private Strategy adaptive(boolean wideSpin) throws Exception {
        OrtSession wide = open(cores, wideSpin, true);
        OrtSession narrow = open(1, true, true);
        return new Strategy() {
            public OrtSession sessionFor(int inFlight) {
                return inFlight <= 1 ? wide : narrow;
            }

            public void close() throws Exception {
                wide.close();
                narrow.close();
            }
        };
    }

    /** What the service runs: {@link GuardedSession} over the sessions {@link OnnxSessions} opens by default. */
    private Strategy service() throws Exception {
        ModelRuntimeOptions options = ModelRuntimeOptions.forService(cores, cores);
        GuardedSession guarded = OnnxSessions.guard(env, onnx, options, OnnxSessions.open(env, onnx, options));
        log("service: %s", options.describeThreads());
        return new Strategy() {
            public OrtSession sessionFor(int inFlight) {
                throw new UnsupportedOperationException("the guarded session chooses");
            }

            @Override
            public OrtSession.Result run(int inFlight, Map<String, OnnxTensor> inputs) throws OrtException {
                return guarded.use(s -> s.run(inputs));
            }

            public void close() {
                guarded.close();
            }
        };
    }

    /** Opens a strategy's sessions. */
    private interface Opener {
        Strategy open() throws Exception;
    }

    private Set<String> only = Set.of();

    private void measure(String name, Opener opener) throws Exception {
        if (!only.isEmpty() && !only.contains(name)) {
            return;
        }
        long pid = ProcessHandle.current().pid();
        long rssBefore = BenchUtil.rssBytes(pid);
        Strategy strategy = opener.open();
        double openedMiB = (BenchUtil.rssBytes(pid) - rssBefore) / 1048576.0;
        results.put("threads." + name + ".sessions_rss_mib", openedMiB);
        log("%-22s sessions opened: +%.0f MiB resident", name, openedMiB);
        try (strategy) {
            float[] feats = new float[FRAMES * mels];
            Random random = new Random(7);
            for (int i = 0; i < feats.length; i++) {
                feats[i] = (float) random.nextGaussian();
            }
            for (int callers : CALLERS) {
                double[] r = closedLoop(strategy, feats, callers);
                results.put("threads." + name + ".c" + callers + ".rps", r[0]);
                results.put("threads." + name + ".c" + callers + ".p50_ms", r[1]);
                log("%-22s %d callers: %6.2f runs/s, p50 %6.1f ms", name, callers, r[0], r[1]);
            }
        }
    }

    /** The shared closed loop, each call counted in flight while it runs (the strategies choose by that count). */
    private double[] closedLoop(Strategy strategy, float[] feats, int callers) throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        return PipelineBenchmark.closedLoop(callers, 2, seconds, () -> {
            int n = inFlight.incrementAndGet();
            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(feats), new long[]{1, FRAMES, mels});
                 OrtSession.Result r = strategy.run(n, Map.of(EcapaOnnxBuilder.INPUT, x))) {
                if (!r.get(EcapaOnnxBuilder.OUTPUT).isPresent()) {
                    throw new IllegalStateException("no output");
                }
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }
}
