package dev.speakerembedding.api;

import java.io.IOException;

/**
 * Thrown from inside the request's entity stream once more than the limit has been read. An IOException so it
 * passes through any body reader (the multipart parser included) unchanged or as a cause, where the exception
 * mappers find it.
 */
public final class RequestTooLargeException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long limitBytes;

    public RequestTooLargeException(long limitBytes, String message) {
        super(message);
        this.limitBytes = limitBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    ProblemException toProblem() {
        return ProblemType.REQUEST_TOO_LARGE.exception(getMessage());
    }
}
