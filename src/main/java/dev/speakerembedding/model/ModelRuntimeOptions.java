package dev.speakerembedding.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the ONNX Runtime sessions run.
 *
 * <p>Threads adapt to the load when {@code fewestIntraOpThreads < intraOpThreads}: the model is opened once per
 * {@link #threadVariants() thread count} and each run takes the widest variant within its share of the cores, the
 * {@code intraOpThreads} cores divided by the runs in flight (itself included). A lone request then computes on every
 * core, while concurrent requests run one thread each and never ask for more threads than there are cores. One session
 * whose pool all runs share (or ONNX Runtime's global pool) measured a fifth slower under concurrency: a run's parallel
 * loop waits at its barrier for pool threads busy with another run's work (README "Benchmarks", ThreadingBenchmark).
 *
 * @param intraOpThreads       threads inside one operator (matrix products) for a lone run, the calling thread
 *                             included; 0 lets ONNX Runtime choose (one per physical core it detects, pinned to cores,
 *                             blind to container CPU quotas)
 * @param interOpThreads       threads running independent operators in parallel; 1 = sequential execution, which
 *                             suits this chain-shaped graph
 * @param optimizationLevel    ONNX Runtime graph optimisation level
 * @param allowSpinning        whether idle intra-op threads spin before sleeping: lower latency, but burns CPU
 *                             between requests
 * @param fewestIntraOpThreads the fewest threads a run gets when many are in flight; equal to {@code intraOpThreads}
 *                             for a fixed thread count (one session)
 */
public record ModelRuntimeOptions(int intraOpThreads, int interOpThreads, OptimizationLevel optimizationLevel,
                                  boolean allowSpinning, int fewestIntraOpThreads) {

    /** Mirrors ONNX Runtime's GraphOptimizationLevel without exposing its classes to callers. */
    public enum OptimizationLevel { DISABLED, BASIC, EXTENDED, ALL }

    /**
     * Sessions held at most: each holds its own copy of the prepacked weights (ECAPA: about 80 MB), so on many cores
     * the variants halve three times and then jump to the fewest.
     */
    static final int MAX_VARIANTS = 4;

    public ModelRuntimeOptions {
        if (intraOpThreads < 0 || interOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0 and interOpThreads >= 1, got "
                    + intraOpThreads + ", " + interOpThreads);
        }
        if (intraOpThreads == 0 ? fewestIntraOpThreads != 0
                : fewestIntraOpThreads < 1 || fewestIntraOpThreads > intraOpThreads) {
            throw new IllegalArgumentException("fewestIntraOpThreads must be between 1 and intraOpThreads ("
                    + intraOpThreads + "), or 0 when ONNX Runtime chooses, got " + fewestIntraOpThreads);
        }
        Objects.requireNonNull(optimizationLevel, "optimizationLevel");
    }

    /** A fixed thread count: one session. */
    public ModelRuntimeOptions(int intraOpThreads, int interOpThreads, OptimizationLevel optimizationLevel,
                               boolean allowSpinning) {
        this(intraOpThreads, interOpThreads, optimizationLevel, allowSpinning, intraOpThreads);
    }

    /** One intra-op thread per CPU the JVM may use (container quotas included), sequential, all optimisations. */
    public static ModelRuntimeOptions defaults() {
        return new ModelRuntimeOptions(Runtime.getRuntime().availableProcessors(), 1, OptimizationLevel.ALL, true);
    }

    /**
     * The service's choice when ONNX_INTRA_OP_THREADS is not set: a lone run on every processor, and as runs overlap
     * down to the processors divided among the inferences that may run at once, so that concurrent requests never
     * ask for more threads than there are cores (more threads than cores make requests preempt each other's threads).
     */
    public static ModelRuntimeOptions forService(int processors, int concurrentInferences) {
        if (processors < 1 || concurrentInferences < 1) {
            throw new IllegalArgumentException("processors and concurrentInferences must be at least 1, got "
                    + processors + ", " + concurrentInferences);
        }
        return new ModelRuntimeOptions(processors, 1, OptimizationLevel.ALL, true,
                Math.max(1, processors / concurrentInferences));
    }

    /** Whether the thread count follows the runs in flight (more than one session). */
    public boolean adaptive() {
        return fewestIntraOpThreads < intraOpThreads;
    }

    /**
     * The thread counts a session is opened with, widest first: {@code intraOpThreads} halved while above
     * {@code fewestIntraOpThreads} (at most {@value #MAX_VARIANTS} variants, the last always the fewest).
     */
    public List<Integer> threadVariants() {
        List<Integer> variants = new ArrayList<>();
        for (int t = intraOpThreads; t > fewestIntraOpThreads && variants.size() < MAX_VARIANTS - 1; t /= 2) {
            variants.add(t);
        }
        variants.add(fewestIntraOpThreads);
        return List.copyOf(variants);
    }

    /**
     * The variant a run takes with {@code inFlight} runs in progress, itself included: the widest within its share
     * of the cores, the fewest when even that is more than its share.
     */
    public static int variantFor(List<Integer> variants, int inFlight) {
        if (variants.size() == 1) {
            return 0;
        }
        int share = Math.max(1, variants.get(0) / Math.max(1, inFlight));
        for (int i = 0; i < variants.size(); i++) {
            if (variants.get(i) <= share) {
                return i;
            }
        }
        return variants.size() - 1;
    }

    /** A fixed thread count (one session). */
    public ModelRuntimeOptions withIntraOpThreads(int threads) {
        return new ModelRuntimeOptions(threads, interOpThreads, optimizationLevel, allowSpinning, threads);
    }

    public ModelRuntimeOptions withOptimizationLevel(OptimizationLevel level) {
        return new ModelRuntimeOptions(intraOpThreads, interOpThreads, level, allowSpinning, fewestIntraOpThreads);
    }

    public ModelRuntimeOptions withAllowSpinning(boolean spinning) {
        return new ModelRuntimeOptions(intraOpThreads, interOpThreads, optimizationLevel, spinning,
                fewestIntraOpThreads);
    }

    /** For logs and benchmarks: "intra-op 2 (adaptive: 2, 1)", "intra-op 1". */
    public String describeThreads() {
        if (intraOpThreads == 0) {
            return "intra-op chosen by ONNX Runtime";
        }
        return adaptive() ? "intra-op adaptive " + threadVariants() : "intra-op " + intraOpThreads;
    }
}
