package dev.speakerembedding.api;

/** More than MAX_REQUEST_BYTES arrived. */
public final class RequestTooLargeException extends RequestBodyRefusedException {

    private static final long serialVersionUID = 1L;

    private final long limitBytes;

    public RequestTooLargeException(long limitBytes, String message) {
        super(message);
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    @Override
    ProblemException problem() {
        return ProblemType.REQUEST_TOO_LARGE.exception(getMessage());
    }
}
