package dev.speakerembedding.metrics;

import jakarta.enterprise.context.RequestScoped;
import java.util.EnumMap;
import java.util.Map;

/**
 * The stage times of the current request, summed over its files, for its Server-Timing header; started by
 * {@link RequestMetricsFilter} when the request reaches the application.
 */
@RequestScoped
public class RequestTimings {

    private long startNanos = System.nanoTime();
    private final Map<Stage, Long> stageNanos = new EnumMap<>(Stage.class);

    /** The request arrived at {@code nanos} (System.nanoTime()). */
    public synchronized void start(long nanos) {
        startNanos = nanos;
    }

    public synchronized long startNanos() {
        return startNanos;
    }

    /** Adds {@code nanos} to the stage's time (a batch's files add up). */
    public synchronized void add(Stage stage, long nanos) {
        stageNanos.merge(stage, Math.max(0, nanos), Long::sum);
    }

    /** What was measured so far. */
    public synchronized Map<Stage, Long> stages() {
        Map<Stage, Long> copy = new EnumMap<>(Stage.class);
        copy.putAll(stageNanos);
        return copy;
    }
}
