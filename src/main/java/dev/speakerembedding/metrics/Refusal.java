package dev.speakerembedding.metrics;

/** Why a request that would run the model was refused (503), the {@code reason} label of the refusal counter. */
public enum Refusal {
    /** No model loaded yet (model_not_ready). */
    MODEL_NOT_READY("model_not_ready"),
    /** Every place in the admission gate taken (saturated: MAX_CONCURRENT_INFERENCES + MAX_QUEUED_REQUESTS). */
    QUEUE_FULL("queue_full"),
    /** No inference slot became free within QUEUE_TIMEOUT_MS (saturated). */
    QUEUE_TIMEOUT("queue_timeout"),
    /** No room for the upload in MAX_BUFFERED_UPLOAD_BYTES (saturated). */
    UPLOAD_BUDGET("upload_budget");

    private final String label;

    Refusal(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
