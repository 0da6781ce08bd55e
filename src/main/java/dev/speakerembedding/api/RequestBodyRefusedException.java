package dev.speakerembedding.api;

import java.io.IOException;

/**
 * Thrown from inside the request's entity stream when the upload must stop: too large, too slow, or no memory
 * left for it. An IOException so it passes through any body reader (the multipart parser included) unchanged or
 * as a cause, where the exception mappers find it. The answer closes the connection: the rest of the upload is
 * never read.
 */
public abstract class RequestBodyRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    protected RequestBodyRefusedException(String message) {
        super(message);
    }

    protected RequestBodyRefusedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The problem to answer with, closing the connection. */
    final ProblemException toProblem() {
        return problem().closingConnection();
    }

    abstract ProblemException problem();
}
