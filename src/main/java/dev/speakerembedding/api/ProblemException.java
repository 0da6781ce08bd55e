package dev.speakerembedding.api;

/** A request that is answered with a problem document; thrown by resources, turned into a response once. */
public final class ProblemException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ProblemType type;
    private final String detail;
    private final Integer retryAfterSeconds;
    private final boolean closeConnection;

    ProblemException(ProblemType type, String detail, Integer retryAfterSeconds) {
        this(type, detail, retryAfterSeconds, false);
    }

    private ProblemException(ProblemType type, String detail, Integer retryAfterSeconds, boolean closeConnection) {
        super(type.code() + ": " + detail);
        this.type = type;
        this.detail = detail;
        this.retryAfterSeconds = retryAfterSeconds;
        this.closeConnection = closeConnection;
    }

    public ProblemType type() {
        return type;
    }

    public Problem problem() {
        return Problem.of(type, detail);
    }

    /** Seconds for the Retry-After header, or null when retrying the same request cannot help. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** Whether the answer closes the connection (the rest of the upload was never read). */
    public boolean closeConnection() {
        return closeConnection;
    }

    /** The same problem, answered with {@code Connection: close}. */
    ProblemException closingConnection() {
        return new ProblemException(type, detail, retryAfterSeconds, true);
    }

    /** The same problem with {@code prefix} in front of its detail (which part of a batch failed). */
    ProblemException withDetailPrefix(String prefix) {
        return new ProblemException(type, prefix + detail, retryAfterSeconds, closeConnection);
    }
}
