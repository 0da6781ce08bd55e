package dev.speakerembedding.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerTimingTest {

    @Test
    void stagesInTheirOrderInMillisecondsThenTheTotal() {
        Map<Stage, Long> stages = new EnumMap<>(Stage.class);
        stages.put(Stage.INFERENCE, 30_512_345L);
        stages.put(Stage.QUEUE, 400_000L);
        stages.put(Stage.DECODE, 1_200_000L);
        assertEquals("queue;dur=0.400, decode;dur=1.200, inference;dur=30.512, total;dur=36.100",
                ServerTiming.header(stages, 36_100_000L));
    }

    @Test
    void millisecondsHaveThreeDecimalsRoundedHalfUp() {
        assertEquals("0.000", ServerTiming.millis(499));
        assertEquals("0.001", ServerTiming.millis(500));
        assertEquals("0.010", ServerTiming.millis(10_000));
        assertEquals("0.099", ServerTiming.millis(99_000));
        assertEquals("1.000", ServerTiming.millis(999_500));
        assertEquals("12.345", ServerTiming.millis(12_345_000));
        assertEquals("60000.000", ServerTiming.millis(60_000_000_000L));
        assertEquals("9223372036854.775", ServerTiming.millis(Long.MAX_VALUE - 1000), "no overflow near the limit");
    }

    @Test
    void nothingMeasuredIsJustTheTotal() {
        assertEquals("total;dur=0.002", ServerTiming.header(Map.of(), 2_000L));
    }

    @Test
    void aNegativeClockDifferenceIsNeverWritten() {
        assertEquals("upload;dur=0.000, total;dur=0.000", ServerTiming.header(Map.of(Stage.UPLOAD, -5L), -1L));
    }

    @Test
    void requestTimingsSumAStageOverABatchsFiles() {
        RequestTimings timings = new RequestTimings();
        timings.add(Stage.DECODE, 1_000);
        timings.add(Stage.DECODE, 2_000);
        timings.add(Stage.FEATURES, -3);
        assertEquals(Map.of(Stage.DECODE, 3_000L, Stage.FEATURES, 0L), timings.stages());
    }
}
