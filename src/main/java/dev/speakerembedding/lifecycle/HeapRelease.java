package dev.speakerembedding.lifecycle;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives the heap of a rare, large, transient piece of work (converting a checkpoint builds several hundred MB of
 * arrays) back to the operating system before the service serves, on both JVMs it runs on:
 * <ul>
 *   <li>HotSpot's G1 (development, the figures in the README): a full collection ({@code System.gc()}) shrinks
 *       the committed heap to {@code -XX:MaxHeapFreeRatio} and uncommits the rest.</li>
 *   <li>Eclipse OpenJ9 (the container image's JVM): a global collection shrinks the tenure space only towards
 *       {@code -Xmaxf} free, so the soft heap limit ({@code -Xsoftmx}, settable at run time through
 *       {@code com.ibm.lang.management.MemoryMXBean#setMaxHeapSize}) is lowered to what is live for one collection,
 *       which makes the collector contract the heap and release its pages, then set back so the heap can grow again.
 *       OpenJ9's idle tuning (on by default in containers) releases free heap pages later in any case.</li>
 * </ul>
 */
final class HeapRelease {

    private static final Logger LOG = Logger.getLogger(HeapRelease.class.getName());

    /**
     * Room left above the live heap while the soft limit is lowered: requests that need no model (comparing two
     * embeddings) are served meanwhile and may buffer uploads, so the lowered limit must not starve them.
     */
    static final long SOFT_LIMIT_HEADROOM_BYTES = 256L << 20;

    /** The JVM's run-time soft heap limit, where it has one (OpenJ9's {@code -Xsoftmx}). */
    interface SoftHeapLimit {
        long maxHeapBytes();

        void setMaxHeapBytes(long bytes);

        long minHeapBytes();
    }

    private final Runnable collect;
    private final MemoryMXBean memory;
    private final Optional<SoftHeapLimit> softLimit;

    HeapRelease(Runnable collect, MemoryMXBean memory, Optional<SoftHeapLimit> softLimit) {
        this.collect = collect;
        this.memory = memory;
        this.softLimit = softLimit;
    }

    /** For the JVM this runs in. */
    static HeapRelease forThisJvm() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        return new HeapRelease(System::gc, memory, OpenJ9SoftLimit.of(memory));
    }

    /**
     * Collects, and on a JVM with a soft heap limit makes the collection contract the heap. Never throws: giving
     * memory back is an optimisation, and a failure must not fail the model load it follows.
     */
    void release() {
        collect.run();
        if (softLimit.isEmpty()) {
            return;
        }
        SoftHeapLimit limit = softLimit.get();
        long original;
        long lowered;
        try {
            original = limit.maxHeapBytes();
            long live = memory.getHeapMemoryUsage().getUsed();
            lowered = Math.max(limit.minHeapBytes(), live + SOFT_LIMIT_HEADROOM_BYTES);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "The soft heap limit cannot be read; the heap stays as the collector left it", e);
            return;
        }
        if (lowered >= original) {
            return;
        }
        try {
            limit.setMaxHeapBytes(lowered);
            collect.run();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "The soft heap limit could not be lowered; the heap stays as the collector left it", e);
        } finally {
            try {
                limit.setMaxHeapBytes(original);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "The soft heap limit could not be restored to " + original + " bytes", e);
            }
        }
    }

    /**
     * OpenJ9's {@code com.ibm.lang.management.MemoryMXBean}, reached by reflection: the class exists only on OpenJ9,
     * and the service is built and tested on HotSpot.
     */
    static final class OpenJ9SoftLimit implements SoftHeapLimit {
        private final Object bean;
        private final Method getMax;
        private final Method setMax;
        private final Method getMin;

        private OpenJ9SoftLimit(Object bean, Method getMax, Method setMax, Method getMin) {
            this.bean = bean;
            this.getMax = getMax;
            this.setMax = setMax;
            this.getMin = getMin;
        }

        static Optional<SoftHeapLimit> of(MemoryMXBean memory) {
            try {
                Class<?> openJ9 = Class.forName("com.ibm.lang.management.MemoryMXBean");
                if (!openJ9.isInstance(memory)) {
                    return Optional.empty();
                }
                if (!(Boolean) openJ9.getMethod("isSetMaxHeapSizeSupported").invoke(memory)) {
                    return Optional.empty();
                }
                return Optional.of(new OpenJ9SoftLimit(memory, openJ9.getMethod("getMaxHeapSize"),
                        openJ9.getMethod("setMaxHeapSize", long.class), openJ9.getMethod("getMinHeapSize")));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return Optional.empty();
            }
        }

        @Override
        public long maxHeapBytes() {
            return (Long) call(getMax);
        }

        @Override
        public void setMaxHeapBytes(long bytes) {
            call(setMax, bytes);
        }

        @Override
        public long minHeapBytes() {
            return (Long) call(getMin);
        }

        private Object call(Method method, Object... args) {
            try {
                return method.invoke(bean, args);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("OpenJ9 MemoryMXBean." + method.getName() + " failed", e);
            }
        }
    }
}
