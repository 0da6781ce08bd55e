package dev.speakerembedding.inference;

/** The service is busy: the caller should come back after {@link #retryAfterSeconds()}. */
public final class SaturatedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the caller was refused. */
    public enum Reason {
        /** Every slot is taken and the wait queue is full: refused without waiting. */
        QUEUE_FULL,
        /** Queued, but no slot became free in time. */
        QUEUE_TIMEOUT
    }

    private final Reason reason;
    private final int retryAfterSeconds;

    public SaturatedException(Reason reason, String message, int retryAfterSeconds) {
        super(message);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
