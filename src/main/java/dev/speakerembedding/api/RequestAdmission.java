package dev.speakerembedding.api;

import jakarta.enterprise.context.RequestScoped;

/**
 * What {@link AdmissionFilter} decided for the current request before its body was read: the model it will be
 * served by. (Its place in the admission gate is taken once the body has arrived, see
 * {@link EmbeddingService#embedAll}.)
 */
@RequestScoped
public class RequestAdmission {

    private EmbeddingService.LoadedModel model;

    public void admitted(EmbeddingService.LoadedModel loaded) {
        this.model = loaded;
    }

    /** The model checked ready when the request was admitted. */
    public EmbeddingService.LoadedModel model() {
        if (model == null) {
            throw new IllegalStateException("request was not admitted: its resource method lacks @Admitted");
        }
        return model;
    }
}
