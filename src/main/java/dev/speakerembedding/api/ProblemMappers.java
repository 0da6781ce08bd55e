package dev.speakerembedding.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one place where failures become HTTP answers: always problem+json, never a stack trace. */
public final class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class.getName());

    private ProblemMappers() {
    }

    static Response toResponse(Problem problem, Integer retryAfterSeconds) {
        Response.ResponseBuilder b = Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem);
        if (retryAfterSeconds != null) {
            b.header("Retry-After", retryAfterSeconds);
        }
        return b.build();
    }

    @Provider
    public static class ProblemExceptionMapper implements ExceptionMapper<ProblemException> {
        @Override
        public Response toResponse(ProblemException e) {
            return ProblemMappers.toResponse(e.problem(), e.retryAfterSeconds());
        }
    }

    /** JAX-RS's own refusals (unknown path, wrong method, unsupported media type) in the same format. */
    @Provider
    public static class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            String code = switch (status) {
                case 404 -> "not_found";
                case 405 -> "method_not_allowed";
                case 406 -> "not_acceptable";
                case 415 -> "unsupported_media_type";
                case 413 -> "request_too_large";
                default -> status >= 500 ? "internal_error" : "bad_request";
            };
            String title = Response.Status.fromStatusCode(status) != null
                    ? Response.Status.fromStatusCode(status).getReasonPhrase() : "Error";
            if (status >= 500) {
                LOG.log(Level.SEVERE, "Request failed", e);
                return ProblemMappers.toResponse(Problem.of(status, code, title, "The server failed to answer."), null);
            }
            return ProblemMappers.toResponse(Problem.of(status, code, title, e.getMessage()), null);
        }
    }

    /** A bug of ours: logged with its stack trace, answered without it. */
    @Provider
    public static class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {
        @Override
        public Response toResponse(Throwable e) {
            if (e instanceof WebApplicationException w) {
                return new WebApplicationExceptionMapper().toResponse(w);
            }
            LOG.log(Level.SEVERE, "Unexpected failure while answering a request", e);
            return ProblemMappers.toResponse(Problem.of(500, "internal_error", "Internal error",
                    "The server failed to answer; the cause is in its log."), null);
        }
    }
}
