package dev.speakerembedding.api;

import dev.speakerembedding.metrics.Refusal;
import dev.speakerembedding.metrics.ServiceMetrics;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Runs before the body of an {@link Admitted} request is read: no model yet, or every place in the admission gate
 * taken, is answered at once (503 with Retry-After, the connection closed) without reading a byte of the upload.
 * The place itself is taken once the body has arrived, so a slow upload holds none.
 */
@Provider
@Admitted
@Priority(Priorities.USER)
@ApplicationScoped
public class AdmissionFilter implements ContainerRequestFilter {

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @Inject
    ServiceMetrics metrics;

    @Override
    public void filter(ContainerRequestContext request) {
        EmbeddingService.LoadedModel model;
        try {
            model = service.readyModel();
        } catch (ProblemException e) {
            metrics.refused(Refusal.MODEL_NOT_READY);
            request.abortWith(ProblemMappers.toEarlyResponse(e));
            return;
        }
        try {
            service.checkRoom();
            admission.admitted(model);
        } catch (ProblemException e) {
            request.abortWith(ProblemMappers.toEarlyResponse(e));
        }
    }
}
