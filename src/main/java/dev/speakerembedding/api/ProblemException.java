package dev.speakerembedding.api;

/** A request that is answered with a problem document; thrown by resources, turned into a response once. */
public final class ProblemException extends Exception {

    private final transient Problem problem;
    private final Integer retryAfterSeconds;

    public ProblemException(int status, String code, String title, String detail) {
        this(status, code, title, detail, null);
    }

    public ProblemException(int status, String code, String title, String detail, Integer retryAfterSeconds) {
        super(code + ": " + detail);
        this.problem = Problem.of(status, code, title, detail);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Problem problem() {
        return problem;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
