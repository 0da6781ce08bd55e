package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The heap of a conversion is given back: on this JVM for real, and by the soft-limit protocol OpenJ9 offers. */
class HeapReleaseTest {

    /** A soft limit that records what was done to it, as OpenJ9's MemoryMXBean would see it. */
    private static class RecordingLimit implements HeapRelease.SoftHeapLimit {
        final List<String> calls;
        long max;
        final long min;

        RecordingLimit(List<String> calls, long max, long min) {
            this.calls = calls;
            this.max = max;
            this.min = min;
        }

        @Override
        public long maxHeapBytes() {
            return max;
        }

        @Override
        public void setMaxHeapBytes(long bytes) {
            calls.add("softmx " + bytes);
            max = bytes;
        }

        @Override
        public long minHeapBytes() {
            return min;
        }
    }

    @Test
    void onAJvmWithASoftLimitTheLimitIsLoweredForOneCollectionThenRestored() {
        List<String> calls = new ArrayList<>();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long original = 64L << 30;
        RecordingLimit limit = new RecordingLimit(calls, original, 8L << 20);
        new HeapRelease(() -> calls.add("gc"), memory, Optional.of(limit)).release();
        assertEquals(4, calls.size(), calls.toString());
        assertEquals("gc", calls.get(0));
        long lowered = Long.parseLong(calls.get(1).substring("softmx ".length()));
        long used = memory.getHeapMemoryUsage().getUsed();
        assertTrue(lowered >= used + HeapRelease.SOFT_LIMIT_HEADROOM_BYTES && lowered < original
                && lowered <= 3 * used + HeapRelease.SOFT_LIMIT_HEADROOM_BYTES, "lowered to " + lowered);
        assertEquals("gc", calls.get(2));
        assertEquals("softmx " + original, calls.get(3), "restored so the heap can grow again");
        assertEquals(original, limit.max);
    }

    @Test
    void aSoftLimitAlreadyBelowTheLiveHeapIsLeftAlone() {
        List<String> calls = new ArrayList<>();
        RecordingLimit limit = new RecordingLimit(calls, 64L << 20, 1L << 20);
        new HeapRelease(() -> calls.add("gc"), ManagementFactory.getMemoryMXBean(), Optional.of(limit)).release();
        assertEquals(List.of("gc"), calls);
    }

    @Test
    void aFailingSoftLimitIsRestoredAndReleaseDoesNotThrow() {
        List<String> calls = new ArrayList<>();
        RecordingLimit limit = new RecordingLimit(calls, 64L << 30, 8L << 20) {
            @Override
            public void setMaxHeapBytes(long bytes) {
                super.setMaxHeapBytes(bytes);
                if (bytes != 64L << 30) {
                    throw new IllegalStateException("refused");
                }
            }
        };
        new HeapRelease(() -> calls.add("gc"), ManagementFactory.getMemoryMXBean(), Optional.of(limit)).release();
        assertEquals(64L << 30, limit.max);
    }

    @Test
    void aSoftLimitThatCannotBeReadOrRestoredNeverFailsTheRelease() {
        List<String> calls = new ArrayList<>();
        RecordingLimit unreadable = new RecordingLimit(calls, 64L << 30, 8L << 20) {
            @Override
            public long maxHeapBytes() {
                throw new IllegalStateException("unreadable");
            }
        };
        new HeapRelease(() -> calls.add("gc"), ManagementFactory.getMemoryMXBean(), Optional.of(unreadable)).release();
        assertEquals(List.of("gc"), calls);
        RecordingLimit refusing = new RecordingLimit(new ArrayList<>(), 64L << 30, 8L << 20) {
            @Override
            public void setMaxHeapBytes(long bytes) {
                throw new IllegalStateException("refused");
            }
        };
        new HeapRelease(() -> { }, ManagementFactory.getMemoryMXBean(), Optional.of(refusing)).release();
    }

    @Test
    void thisJvmHasNoOpenJ9SoftLimitUnlessItIsOpenJ9() {
        boolean openJ9 = System.getProperty("java.vm.name", "").contains("OpenJ9");
        assertEquals(openJ9, HeapRelease.OpenJ9SoftLimit.of(ManagementFactory.getMemoryMXBean()).isPresent(),
                System.getProperty("java.vm.name"));
    }

    @Test
    void transientHeapIsUncommittedAfterRelease() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        List<byte[]> transientWork = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            transientWork.add(new byte[8 << 20]);
        }
        long committedWhileBusy = memory.getHeapMemoryUsage().getCommitted();
        assertTrue(committedWhileBusy >= 384L << 20, "committed " + (committedWhileBusy >> 20) + " MiB");
        transientWork.clear();
        HeapRelease.forThisJvm().release();
        long committedAfter = memory.getHeapMemoryUsage().getCommitted();
        assertTrue(committedAfter < committedWhileBusy - (256L << 20), String.format(
                "%s: committed heap %d MiB while busy, %d MiB after release", System.getProperty("java.vm.name"),
                committedWhileBusy >> 20, committedAfter >> 20));
    }
}
