package dev.speakerembedding.api;

import dev.speakerembedding.inference.AdmissionGate;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.RequestScoped;

/**
 * What {@link AdmissionFilter} decided for the current request: the model it will be served by and its place in
 * the admission gate. Request scoped, so the place is given back when the request ends whatever happened.
 */
@RequestScoped
public class RequestAdmission {

    private EmbeddingService.LoadedModel model;
    private AdmissionGate.Ticket ticket;

    public void admitted(EmbeddingService.LoadedModel loaded, AdmissionGate.Ticket place) {
        this.model = loaded;
        this.ticket = place;
    }

    /** The model checked ready when the request was admitted. */
    public EmbeddingService.LoadedModel model() {
        return require(model);
    }

    public AdmissionGate.Ticket ticket() {
        return require(ticket);
    }

    private static <T> T require(T value) {
        if (value == null) {
            throw new IllegalStateException("request was not admitted: its resource method lacks @Admitted");
        }
        return value;
    }

    @PreDestroy
    public void release() {
        AdmissionGate.Ticket t = ticket;
        if (t != null) {
            t.close();
        }
    }
}
