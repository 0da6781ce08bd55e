package dev.speakerembedding.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opens ONNX Runtime sessions the same way for every family. */
public final class OnnxSessions {

    private OnnxSessions() {
    }

    /** The process-wide environment; never closed here because other sessions in the JVM may share it. */
    public static OrtEnvironment environment() throws ModelFormatException {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try {
            environment.setTelemetry(false);
        } catch (OrtException e) {
            throw new ModelFormatException("ONNX Runtime refused to turn telemetry off: " + e.getMessage(), e);
        }
        return environment;
    }

    /** A session on {@code onnx} with {@code options}. */
    public static OrtSession open(OrtEnvironment environment, Path onnx, ModelRuntimeOptions options)
            throws ModelFormatException {
        try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
            if (options.intraOpThreads() > 0) {
                sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            }
            sessionOptions.setInterOpNumThreads(options.interOpThreads());
            sessionOptions.setExecutionMode(options.interOpThreads() > 1
                    ? OrtSession.SessionOptions.ExecutionMode.PARALLEL
                    : OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            sessionOptions.setOptimizationLevel(switch (options.optimizationLevel()) {
                case DISABLED -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            sessionOptions.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
            // Spin only while a run is in progress: when the last concurrent run returns, the pool's threads stop
            // spinning at once instead of burning a core that the server needs to answer the request, read the next
            // upload and run the probes (README "Benchmarks").
            sessionOptions.addConfigEntry("session.force_spinning_stop", "1");
            return environment.createSession(onnx.toString(), sessionOptions);
        } catch (OrtException e) {
            throw new ModelFormatException(onnx + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    /**
     * {@code primary} (opened by {@link #open} with {@code options}) in a {@link GuardedSession} with the narrower
     * thread variants {@code options} asks for, each a session of its own on the same file. Takes ownership of
     * {@code primary}: it is closed here when a variant fails to open.
     */
    public static GuardedSession guard(OrtEnvironment environment, Path onnx, ModelRuntimeOptions options,
                                       OrtSession primary) throws ModelFormatException {
        List<Integer> threads = options.threadVariants();
        List<OrtSession> sessions = new ArrayList<>();
        sessions.add(primary);
        try {
            for (int t : threads.subList(1, threads.size())) {
                sessions.add(open(environment, onnx, options.withIntraOpThreads(t)));
            }
        } catch (ModelFormatException | RuntimeException e) {
            for (OrtSession session : sessions) {
                closeQuietly(session, e);
            }
            throw e;
        }
        return new GuardedSession(sessions, threads);
    }

    /** Closes {@code session} after {@code primary} failed, keeping a close failure as suppressed. */
    public static void closeQuietly(OrtSession session, Exception primary) {
        try {
            session.close();
        } catch (OrtException e) {
            primary.addSuppressed(e);
        }
    }
}
