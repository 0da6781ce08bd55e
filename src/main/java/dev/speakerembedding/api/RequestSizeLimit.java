package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

/**
 * MAX_REQUEST_BYTES for every body this API reads, whatever reads it (a resource method or the multipart parser):
 * a declared Content-Length over the limit is refused before a byte is read, and a chunked or lying body fails
 * inside the stream the moment it passes the limit.
 */
@Provider
@PreMatching
@Priority(Priorities.ENTITY_CODER)
@ApplicationScoped
public class RequestSizeLimit implements ContainerRequestFilter {

    @Inject
    ServiceConfig config;

    @Override
    public void filter(ContainerRequestContext request) {
        long limitBytes = config.maxRequestBytes();
        long declared = request.getLength();
        if (declared > limitBytes) {
            request.abortWith(ProblemMappers.toEarlyResponse(
                    LimitedInputStream.tooLarge(limitBytes, Long.toString(declared)).toProblem()));
            return;
        }
        request.setEntityStream(new LimitedInputStream(request.getEntityStream(), limitBytes));
    }
}
