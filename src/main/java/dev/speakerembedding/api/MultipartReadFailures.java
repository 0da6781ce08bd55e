package dev.speakerembedding.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.IOException;

/**
 * The multipart reader reports a body it cannot parse (no boundary, a cut-off part) as a bare IOException or
 * runtime exception, which would surface as a 500; here it becomes the client's 400 invalid_multipart.
 */
@Provider
public class MultipartReadFailures implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (!isMultipart(context.getMediaType())) {
            return context.proceed();
        }
        try {
            return context.proceed();
        } catch (RequestTooLargeException | WebApplicationException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            ProblemException tooLarge = ProblemMappers.clientProblemInCauses(e);
            throw new ProblemResponseException(tooLarge != null ? tooLarge : ProblemType.INVALID_MULTIPART.exception(
                    "the multipart/form-data body cannot be parsed: " + e.getMessage()));
        }
    }

    static boolean isMultipart(MediaType type) {
        return type != null && "multipart".equalsIgnoreCase(type.getType());
    }
}
