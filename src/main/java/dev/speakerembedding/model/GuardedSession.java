package dev.speakerembedding.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one owner of a model's {@link OrtSession}: any number of threads use it at once, and {@link #close()} frees it
 * only after the uses in progress have ended, so that no run ever touches a freed native session. Every model family
 * holds its session through this class.
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

    private final OrtSession session;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Written under the write lock, read under the read lock. */
    private boolean closed;

    /** Takes ownership of {@code session}: only this holder closes it. */
    public GuardedSession(OrtSession session) {
        this.session = Objects.requireNonNull(session, "session");
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
            return use.apply(session);
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

    /**
     * Frees the native session once the uses in progress have ended; later uses fail. Only the first call closes.
     *
     * @throws IllegalStateException when ONNX Runtime fails to release it (the holder counts as closed anyway)
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                session.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to release the session: " + e.getMessage(), e);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
