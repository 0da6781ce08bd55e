package dev.speakerembedding.api;

import dev.speakerembedding.metrics.RequestTimings;
import dev.speakerembedding.metrics.ServerTiming;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Adds the W3C Server-Timing header to the answers of {@link ServerTimed} operations: the stages measured for this
 * request and the total so far. Its priority puts it after {@link RequestSizeLimit}'s response filter (response
 * filters run in descending priority), which records the upload's time.
 */
@Provider
@ServerTimed
@Priority(Priorities.HEADER_DECORATOR)
@ApplicationScoped
public class ServerTimingFilter implements ContainerResponseFilter {

    @Inject
    RequestTimings timings;

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        response.getHeaders().putSingle(ServerTiming.HEADER,
                ServerTiming.header(timings.stages(), System.nanoTime() - timings.startNanos()));
    }
}
