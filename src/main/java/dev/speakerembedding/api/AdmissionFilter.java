package dev.speakerembedding.api;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;

/**
 * Runs before the body of an {@link Admitted} request is read: no model yet, or no room, is answered at once
 * (503 with Retry-After) without reading a byte of the upload. The place is given back as soon as the response
 * is ready (and, failing that, when the request scope ends).
 */
@Provider
@Admitted
@Priority(Priorities.USER)
@ApplicationScoped
public class AdmissionFilter implements ContainerRequestFilter, ContainerResponseFilter {

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @Override
    public void filter(ContainerRequestContext request) {
        try {
            EmbeddingService.LoadedModel model = service.readyModel();
            admission.admitted(model, service.admit());
        } catch (ProblemException e) {
            request.abortWith(ProblemMappers.toEarlyResponse(e));
        }
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        admission.release();
    }
}
