package dev.speakerembedding.metrics;

/**
 * The timed stages of a request that runs the model, in the order they happen. The name is both the {@code stage}
 * label of {@code speaker_embedding_stage_duration_seconds} and the metric name in the Server-Timing header.
 */
public enum Stage {
    /** The request body arriving, from the first filter to its last byte read. */
    UPLOAD("upload"),
    /** Waiting for an inference slot once the body has arrived (MAX_CONCURRENT_INFERENCES). */
    QUEUE("queue"),
    /** WAV parsing into samples. */
    DECODE("decode"),
    /** The family's mono signal: resampling to 16 kHz and channel averaging. */
    RESAMPLE("resample"),
    /** The front end: filter-bank features and their normalisation. */
    FEATURES("features"),
    /** The ONNX Runtime session run. */
    INFERENCE("inference");

    private final String label;

    Stage(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
