package dev.speakerembedding.api;

import jakarta.ws.rs.WebApplicationException;

/**
 * Carries a {@link ProblemException} through places that may only throw unchecked or I/O exceptions (reader
 * interceptors); the exception mappers unwrap it.
 */
final class ProblemResponseException extends WebApplicationException {

    private static final long serialVersionUID = 1L;

    ProblemResponseException(ProblemException problem) {
        super(problem, ProblemMappers.toResponse(problem));
    }
}
