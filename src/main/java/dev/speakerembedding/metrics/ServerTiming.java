package dev.speakerembedding.metrics;

import java.util.Map;

/** The W3C Server-Timing header value of one answer: each measured stage and the total, in milliseconds. */
public final class ServerTiming {

    public static final String HEADER = "Server-Timing";

    private ServerTiming() {
    }

    /**
     * E.g. {@code upload;dur=0.812, queue;dur=0.004, decode;dur=1.2, ..., total;dur=31.9}: the stages in their
     * order, only those measured, then {@code total}. Three decimals: the header is for people and dashboards, and
     * microseconds are below what a request's own clock reading costs.
     *
     * @param stageNanos the time of each measured stage (a batch's files summed), in nanoseconds
     * @param totalNanos from the request's arrival in the application to this answer being ready
     */
    public static String header(Map<Stage, Long> stageNanos, long totalNanos) {
        StringBuilder out = new StringBuilder();
        for (Stage stage : Stage.values()) {
            Long nanos = stageNanos.get(stage);
            if (nanos != null) {
                out.append(stage.label()).append(";dur=").append(millis(nanos)).append(", ");
            }
        }
        return out.append("total;dur=").append(millis(totalNanos)).toString();
    }

    /** Milliseconds with three decimals ("12.345"), rounded half up; String.format's parser cost more per answer. */
    static String millis(long nanos) {
        long micros = (Math.max(0, nanos) + 500) / 1000;
        long fraction = micros % 1000;
        return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }
}
