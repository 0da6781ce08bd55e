package dev.speakerembedding.inference;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the work in a server: at most {@code maxConcurrent} holders of an inference slot, at most
 * {@code maxConcurrent + maxQueued} requests admitted at all, and everyone past that refused at once.
 *
 * <p>Around a request's body: {@link #checkRoom()} refuses at once, before the body is read, when every place
 * is already taken, so a flood costs neither memory nor threads; once the body has arrived, {@link #admit()} takes
 * a place and {@link Ticket#awaitSlot()} waits (at most {@code queueTimeout}, in arrival order) for one of the
 * slots. An upload in progress holds no place, so a client trickling its body cannot keep others waiting; the
 * memory of uploads in progress is bounded by {@link UploadBudget} instead.
 *
 * <p>Plain Java and thread-safe; the web edge turns {@link SaturatedException} into 503 with Retry-After.
 */
public final class AdmissionGate {

    /**
     * @param maxConcurrent slots, at least 1: requests computing at once
     * @param maxQueued     admitted requests beyond the slots (waiting for a slot)
     * @param queueTimeout  longest wait for a slot
     */
    public record Settings(int maxConcurrent, int maxQueued, Duration queueTimeout) {
        public Settings {
            Objects.requireNonNull(queueTimeout, "queueTimeout");
            if (maxConcurrent < 1) {
                throw new IllegalArgumentException("maxConcurrent must be at least 1, got " + maxConcurrent);
            }
            if (maxQueued < 0) {
                throw new IllegalArgumentException("maxQueued must not be negative, got " + maxQueued);
            }
            if (queueTimeout.isNegative()) {
                throw new IllegalArgumentException("queueTimeout must not be negative, got " + queueTimeout);
            }
        }

        public int capacity() {
            return maxConcurrent + maxQueued;
        }
    }

    /** Longest Retry-After suggested, so a slow outlier never tells clients to go away for minutes. */
    static final int MAX_RETRY_AFTER_SECONDS = 60;
    /** Weight of the newest hold time in the moving average behind Retry-After. */
    private static final double AVERAGE_WEIGHT = 0.2;

    private final Settings settings;
    /** Fair, so waiting requests get slots in arrival order rather than being overtaken by newcomers. */
    private final Semaphore slots;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong averageHoldNanos = new AtomicLong();

    public AdmissionGate(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.slots = new Semaphore(settings.maxConcurrent(), true);
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Refuses at once when every place is taken, without taking one: the check made before a request's body is read.
     *
     * @throws SaturatedException ({@link SaturatedException.Reason#QUEUE_FULL}) when every place is taken
     */
    public void checkRoom() throws SaturatedException {
        if (admitted.get() >= settings.capacity()) {
            throw queueFull();
        }
    }

    private SaturatedException queueFull() {
        return new SaturatedException(SaturatedException.Reason.QUEUE_FULL, String.format(
                "all %d places are taken (%d inference slots, %d waiting places)", settings.capacity(),
                settings.maxConcurrent(), settings.maxQueued()), retryAfterSeconds());
    }

    /**
     * Takes a place if there is one, without waiting.
     *
     * @throws SaturatedException ({@link SaturatedException.Reason#QUEUE_FULL}) when every place is taken
     */
    public Ticket admit() throws SaturatedException {
        if (admitted.incrementAndGet() > settings.capacity()) {
            admitted.decrementAndGet();
            throw queueFull();
        }
        return new Ticket();
    }

    /** Inference slots currently held. */
    public int running() {
        return settings.maxConcurrent() - slots.availablePermits();
    }

    /** Requests currently waiting for a slot. */
    public int waiting() {
        return waiting.get();
    }

    /** Requests admitted and not yet finished (running or waiting). */
    public int admitted() {
        return admitted.get();
    }

    /**
     * When a refused request may expect room: the work admitted ahead of it drained at the recent average hold
     * time, in whole seconds as Retry-After needs, at least 1.
     */
    int retryAfterSeconds() {
        double holdSeconds = averageHoldNanos.get() / 1e9;
        double drainSeconds = holdSeconds * Math.max(1, admitted.get()) / settings.maxConcurrent();
        return (int) Math.max(1, Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(drainSeconds)));
    }

    private void recordHold(long nanos) {
        averageHoldNanos.getAndUpdate(avg -> avg == 0 ? nanos : (long) (avg + AVERAGE_WEIGHT * (nanos - avg)));
    }

    /** An admitted request's place; closing it (once, from any thread) gives the place and any held slot back. */
    public final class Ticket implements AutoCloseable {
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile Slot slot;

        private Ticket() {
        }

        /**
         * Waits for an inference slot, at most the queue timeout.
         *
         * @throws SaturatedException   ({@link SaturatedException.Reason#QUEUE_TIMEOUT}) when none became free in time
         * @throws InterruptedException when the calling thread is interrupted while waiting
         */
        public Slot awaitSlot() throws SaturatedException, InterruptedException {
            if (closed.get() || slot != null) {
                throw new IllegalStateException(closed.get() ? "ticket is closed" : "ticket already holds a slot");
            }
            waiting.incrementAndGet();
            try {
                if (!slots.tryAcquire(settings.queueTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new SaturatedException(SaturatedException.Reason.QUEUE_TIMEOUT, String.format(
                            "no inference slot became free within %d ms", settings.queueTimeout().toMillis()),
                            retryAfterSeconds());
                }
            } finally {
                waiting.decrementAndGet();
            }
            slot = new Slot();
            return slot;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                Slot held = slot;
                if (held != null) {
                    held.close();
                }
                admitted.decrementAndGet();
            }
        }
    }

    /** A held inference slot; closing it (once) frees the slot for the next waiting request. */
    public final class Slot implements AutoCloseable {
        private final long acquiredNanos = System.nanoTime();
        private final AtomicBoolean released = new AtomicBoolean();

        private Slot() {
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                recordHold(System.nanoTime() - acquiredNanos);
                slots.release();
            }
        }
    }
}
