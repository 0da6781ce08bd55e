package dev.speakerembedding.api;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The application's error page (WEB-INF/web.xml): what the servlet layer refuses before JAX-RS sees the request
 * (RESTEasy answers an Accept or Content-Type header it cannot parse with {@code sendError(400)}, which Liberty
 * renders as an HTML page) is answered in the same problem+json as everything else, with a code a client can
 * branch on. Asked for directly (not as an error dispatch) it answers 404 like any unknown path.
 */
@WebServlet(name = "ErrorPage", urlPatterns = ErrorPageServlet.PATH)
public class ErrorPageServlet extends HttpServlet {

    static final String PATH = "/error-page";
    private static final Jsonb JSONB = JsonbBuilder.create();

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = request.getDispatcherType() == DispatcherType.ERROR && code instanceof Integer i ? i : 404;
        Problem problem = Problem.of(type(status), detail(status));
        response.setStatus(problem.status());
        // Bytes, not a Writer: the media type stays exactly application/problem+json (JSON is UTF-8 by definition).
        response.setContentType(Problem.MEDIA_TYPE);
        byte[] body = JSONB.toJson(problem).getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    static ProblemType type(int status) {
        return switch (status) {
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 406 -> ProblemType.NOT_ACCEPTABLE;
            case 413 -> ProblemType.REQUEST_TOO_LARGE;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            default -> status >= 500 ? ProblemType.INTERNAL_ERROR : ProblemType.BAD_REQUEST;
        };
    }

    /** A fixed text per status: the servlet layer's own message names server internals and the raw input. */
    static String detail(int status) {
        return switch (type(status)) {
            case NOT_FOUND -> "no such resource (the OpenAPI document at /openapi lists the operations)";
            case METHOD_NOT_ALLOWED -> "this resource does not take this method (the OpenAPI document at /openapi "
                    + "lists the operations)";
            case NOT_ACCEPTABLE -> "no answer of a media type the Accept header allows";
            case REQUEST_TOO_LARGE -> "the request is larger than this server accepts";
            case UNSUPPORTED_MEDIA_TYPE -> "this operation does not accept this Content-Type";
            case INTERNAL_ERROR -> "The server failed to answer; the cause is in its log.";
            default -> "the request could not be read: a header (Accept, Content-Type), the query string or the "
                    + "path is malformed";
        };
    }
}
