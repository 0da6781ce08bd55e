package dev.speakerembedding.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one owner of a model's {@link OrtSession}s (one per {@linkplain ModelRuntimeOptions#threadVariants() thread
 * count}, the same graph in each): any number of threads use it at once, and {@link #close()} frees it
 * only after the uses in progress have ended, so that no run ever touches a freed native session. Every model family
 * holds its session through this class.
 *
 * <p>Each use runs on the variant {@link ModelRuntimeOptions#variantFor} picks for the uses in flight, itself
 * included: with one variant, always that one.
 *
 * <p>Uses share a read lock (ONNX Runtime's session is thread-safe; the lock guards only its lifetime); close takes
 * the write lock. A use that starts after close fails with {@link IllegalStateException} instead of reaching native
 * code.
 */
public final class GuardedSession implements AutoCloseable {

    /** What a caller does with the session; its native objects are the caller's to close. */
    @FunctionalInterface
    public interface Use<T> {
        T apply(OrtSession session) throws OrtException;
    }

    private final List<OrtSession> variants;
    private final List<Integer> threads;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Written under the write lock, read under the read lock. */
    private boolean closed;

    /** Takes ownership of {@code session}: only this holder closes it. */
    public GuardedSession(OrtSession session) {
        this(List.of(Objects.requireNonNull(session, "session")), List.of(0));
    }

    /**
     * Takes ownership of {@code variants}, the same graph opened with {@code threads} intra-op threads each (widest
     * first, as {@link ModelRuntimeOptions#threadVariants()} lists them): only this holder closes them.
     */
    public GuardedSession(List<OrtSession> variants, List<Integer> threads) {
        if (variants.isEmpty() || variants.size() != threads.size()) {
            throw new IllegalArgumentException("one session per thread count, got " + variants.size() + " sessions for "
                    + threads);
        }
        this.variants = List.copyOf(variants);
        this.threads = List.copyOf(threads);
    }

    /** The intra-op thread count of each session, widest first (0: ONNX Runtime chose). */
    public List<Integer> threadVariants() {
        return threads;
    }

    /**
     * Runs {@code use} on the session, concurrently with other uses; close waits until it has returned.
     *
     * @throws IllegalStateException when the session is already closed ({@code use} is not called)
     * @throws OrtException          what {@code use} threw
     */
    public <T> T use(Use<T> use) throws OrtException {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("model is closed");
            }
            int running = inFlight.incrementAndGet();
            try {
                return use.apply(variants.get(ModelRuntimeOptions.variantFor(threads, running)));
            } finally {
                inFlight.decrementAndGet();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Whether {@link #close()} has run; a use may still be in progress when this turns true only after it ends. */
    public boolean isClosed() {
        lifecycle.readLock().lock();
        try {
            return closed;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Closes every session, even after one failed to close; the first failure is thrown, the others suppressed. */
    private static void closeAll(List<OrtSession> sessions) {
        IllegalStateException failure = null;
        for (OrtSession session : sessions) {
            try {
                session.close();
            } catch (OrtException e) {
                IllegalStateException f = new IllegalStateException(
                        "ONNX Runtime failed to release the session: " + e.getMessage(), e);
                if (failure == null) {
                    failure = f;
                } else {
                    failure.addSuppressed(f);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Frees the native sessions once the uses in progress have ended; later uses fail. Only the first call closes.
     *
     * @throws IllegalStateException when ONNX Runtime fails to release it (the holder counts as closed anyway)
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                closeAll(variants);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
