package dev.speakerembedding.inference;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the work running at once: up to {@code maxConcurrent} holders, up to {@code maxQueued} callers waiting
 * (each at most {@code queueTimeout}), and everyone past that refused at once. Refusing early is the point: a
 * request that would wait behind a long queue is better retried elsewhere than left holding a thread and its
 * decoded audio while the client times out.
 *
 * <p>Plain Java and thread-safe; the web edge turns {@link SaturatedException} into 503 with Retry-After.
 */
public final class AdmissionGate {

    /**
     * @param maxConcurrent holders at once, at least 1
     * @param maxQueued     callers allowed to wait for a slot; 0 refuses whenever all slots are taken
     * @param queueTimeout  longest wait of a queued caller
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
    }

    /** Longest Retry-After suggested, so a slow outlier never tells clients to go away for minutes. */
    static final int MAX_RETRY_AFTER_SECONDS = 60;
    /** Weight of the newest hold time in the moving average behind Retry-After. */
    private static final double AVERAGE_WEIGHT = 0.2;

    private final Settings settings;
    /** Fair, so queued callers are served in arrival order rather than overtaken by newcomers. */
    private final Semaphore slots;
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
     * Takes a slot, waiting in the queue when all are busy.
     *
     * @throws SaturatedException   when the queue is full or the wait timed out
     * @throws InterruptedException when the calling thread is interrupted while queued
     */
    public Permit enter() throws SaturatedException, InterruptedException {
        // tryAcquire with a zero timeout honours fairness, unlike tryAcquire(): no overtaking of queued callers.
        if (slots.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            return new Permit();
        }
        int queued = waiting.incrementAndGet();
        try {
            if (queued > settings.maxQueued()) {
                throw new SaturatedException(SaturatedException.Reason.QUEUE_FULL, String.format(
                        "all %d inference slots are busy and %d requests are already waiting (the limit)",
                        settings.maxConcurrent(), settings.maxQueued()), retryAfterSeconds());
            }
            if (!slots.tryAcquire(settings.queueTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                throw new SaturatedException(SaturatedException.Reason.QUEUE_TIMEOUT, String.format(
                        "no inference slot became free within %d ms", settings.queueTimeout().toMillis()),
                        retryAfterSeconds());
            }
            return new Permit();
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Slots currently held. */
    public int running() {
        return settings.maxConcurrent() - slots.availablePermits();
    }

    /** Callers currently waiting for a slot. */
    public int waiting() {
        return Math.max(0, waiting.get());
    }

    /**
     * When a refused caller may expect a slot: the queue ahead of it drained at the recent average hold time,
     * in whole seconds as Retry-After needs, at least 1.
     */
    int retryAfterSeconds() {
        double holdSeconds = averageHoldNanos.get() / 1e9;
        double drainSeconds = holdSeconds * (waiting() + settings.maxConcurrent()) / settings.maxConcurrent();
        return (int) Math.max(1, Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(drainSeconds)));
    }

    private void recordHold(long nanos) {
        averageHoldNanos.getAndUpdate(avg -> avg == 0 ? nanos : (long) (avg + AVERAGE_WEIGHT * (nanos - avg)));
    }

    /** A held slot; closing it (once, from any thread) frees the slot. */
    public final class Permit implements AutoCloseable {
        private final long enteredNanos = System.nanoTime();
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit() {
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                recordHold(System.nanoTime() - enteredNanos);
                slots.release();
            }
        }
    }
}
