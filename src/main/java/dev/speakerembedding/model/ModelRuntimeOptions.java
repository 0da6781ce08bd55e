package dev.speakerembedding.model;

import java.util.Objects;

/**
 * How the ONNX Runtime session runs.
 *
 * @param intraOpThreads     threads inside one operator (matrix products), the calling thread included; 0 lets
 *                           ONNX Runtime choose (one per physical core it detects, pinned to cores, blind to
 *                           container CPU quotas)
 * @param interOpThreads     threads running independent operators in parallel; 1 = sequential execution, which
 *                           suits this chain-shaped graph
 * @param optimizationLevel  ONNX Runtime graph optimisation level
 * @param allowSpinning      whether idle intra-op threads spin before sleeping: lower latency, but burns CPU
 *                           between requests
 */
public record ModelRuntimeOptions(int intraOpThreads, int interOpThreads, OptimizationLevel optimizationLevel,
                                  boolean allowSpinning) {

    /** Mirrors ONNX Runtime's GraphOptimizationLevel without exposing its classes to callers. */
    public enum OptimizationLevel { DISABLED, BASIC, EXTENDED, ALL }

    public ModelRuntimeOptions {
        if (intraOpThreads < 0 || interOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0 and interOpThreads >= 1, got "
                    + intraOpThreads + ", " + interOpThreads);
        }
        Objects.requireNonNull(optimizationLevel, "optimizationLevel");
    }

    /** One intra-op thread per CPU the JVM may use (container quotas included), sequential, all optimisations. */
    public static ModelRuntimeOptions defaults() {
        return new ModelRuntimeOptions(Runtime.getRuntime().availableProcessors(), 1, OptimizationLevel.ALL, true);
    }

    /**
     * The service's choice when ONNX_INTRA_OP_THREADS is not set: the processors divided among the inferences that
     * run at once, so that concurrent requests never ask for more threads than there are cores: more threads than
     * cores make requests preempt each other's threads (README "Benchmarks" has the throughput of each choice).
     */
    public static ModelRuntimeOptions forService(int processors, int concurrentInferences) {
        if (processors < 1 || concurrentInferences < 1) {
            throw new IllegalArgumentException("processors and concurrentInferences must be at least 1, got "
                    + processors + ", " + concurrentInferences);
        }
        return defaults().withIntraOpThreads(Math.max(1, processors / concurrentInferences));
    }

    public ModelRuntimeOptions withIntraOpThreads(int threads) {
        return new ModelRuntimeOptions(threads, interOpThreads, optimizationLevel, allowSpinning);
    }

    public ModelRuntimeOptions withOptimizationLevel(OptimizationLevel level) {
        return new ModelRuntimeOptions(intraOpThreads, interOpThreads, level, allowSpinning);
    }

    public ModelRuntimeOptions withAllowSpinning(boolean spinning) {
        return new ModelRuntimeOptions(intraOpThreads, interOpThreads, optimizationLevel, spinning);
    }
}
