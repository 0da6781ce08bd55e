package dev.speakerembedding.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one place where failures become HTTP answers: always problem+json, never a stack trace. */
public final class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class.getName());
    /** Bounds the cause chain walked, in case of a cycle. */
    private static final int MAX_CAUSE_DEPTH = 16;

    private ProblemMappers() {
    }

    static Response toResponse(ProblemException e) {
        Response.ResponseBuilder b = Response.status(e.problem().status()).type(Problem.MEDIA_TYPE).entity(e.problem());
        if (e.retryAfterSeconds() != null) {
            b.header("Retry-After", e.retryAfterSeconds());
        }
        if (e.closeConnection()) {
            b.header("Connection", "close");
        }
        return b.build();
    }

    /**
     * An answer given before the request body was read (refused at admission or by its declared size). The
     * connection is closed after it: the unread rest of the upload must not be taken for the next request, and a
     * keep-alive client still sending it would otherwise wait on a connection nobody reads.
     */
    static Response toEarlyResponse(ProblemException e) {
        return toResponse(e.closingConnection());
    }

    /**
     * What the client did wrong, when a framework wrapped it: the body-size limit fires inside whatever reads
     * the body (the multipart parser, for one), which reports it as its own failure with ours as a cause.
     */
    static ProblemException clientProblemInCauses(Throwable t) {
        Throwable c = t;
        for (int depth = 0; c != null && depth < MAX_CAUSE_DEPTH; depth++, c = c.getCause()) {
            if (c instanceof ProblemException p) {
                return p;
            }
            if (c instanceof RequestBodyRefusedException refused) {
                return refused.toProblem();
            }
        }
        return null;
    }

    @Provider
    public static class ProblemExceptionMapper implements ExceptionMapper<ProblemException> {
        @Override
        public Response toResponse(ProblemException e) {
            return ProblemMappers.toResponse(e);
        }
    }

    /** JAX-RS's own refusals (unknown path, wrong method, unsupported media type) in the same format. */
    @Provider
    public static class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {

        @Context
        HttpHeaders headers;

        @Override
        public Response toResponse(WebApplicationException e) {
            ProblemException wrapped = clientProblemInCauses(e.getCause());
            if (wrapped != null) {
                return ProblemMappers.toResponse(wrapped);
            }
            int status = e.getResponse().getStatus();
            if (status >= 500) {
                LOG.log(Level.SEVERE, "Request failed", e);
                return ProblemMappers.toResponse(ProblemType.INTERNAL_ERROR.exception(
                        "The server failed to answer; the cause is in its log."));
            }
            ProblemType type = switch (status) {
                case 404 -> ProblemType.NOT_FOUND;
                case 405 -> ProblemType.METHOD_NOT_ALLOWED;
                case 406 -> ProblemType.NOT_ACCEPTABLE;
                case 413 -> ProblemType.REQUEST_TOO_LARGE;
                case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
                default -> ProblemType.BAD_REQUEST;
            };
            return ProblemMappers.toResponse(type.exception(detail(type, e)));
        }

        private String detail(ProblemType type, WebApplicationException e) {
            return switch (type) {
                case UNSUPPORTED_MEDIA_TYPE -> "this operation does not accept Content-Type '" + contentType()
                        + "' (the OpenAPI document at /openapi lists what each operation takes)";
                case NOT_FOUND -> "no such resource (the OpenAPI document at /openapi lists the operations)";
                // RESTEasy's own messages name our methods and echo raw input: a fixed text per status instead.
                default -> ErrorPageServlet.detail(e.getResponse().getStatus());
            };
        }

        private String contentType() {
            String value = headers == null ? null : headers.getHeaderString(HttpHeaders.CONTENT_TYPE);
            return value == null ? "(none)" : value.length() > 100 ? value.substring(0, 100) + "..." : value;
        }
    }

    /** A bug of ours: logged with its stack trace, answered without it. */
    @Provider
    public static class UnexpectedExceptionMapper implements ExceptionMapper<Throwable> {

        @Context
        HttpHeaders headers;

        @Override
        public Response toResponse(Throwable e) {
            ProblemException wrapped = clientProblemInCauses(e);
            if (wrapped != null) {
                return ProblemMappers.toResponse(wrapped);
            }
            if (e instanceof WebApplicationException w) {
                WebApplicationExceptionMapper mapper = new WebApplicationExceptionMapper();
                mapper.headers = headers;
                return mapper.toResponse(w);
            }
            LOG.log(Level.SEVERE, "Unexpected failure while answering a request", e);
            return ProblemMappers.toResponse(ProblemType.INTERNAL_ERROR.exception(
                    "The server failed to answer; the cause is in its log."));
        }
    }
}
