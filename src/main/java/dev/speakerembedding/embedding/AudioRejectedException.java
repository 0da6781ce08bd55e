package dev.speakerembedding.embedding;

/** Audio that decodes fine but from which no meaningful embedding can be computed. */
public final class AudioRejectedException extends Exception {

    public enum Reason {
        /** Fewer samples than the model's reflection padding needs, or under the configured minimum. */
        TOO_SHORT,
        /** Over the configured maximum duration. */
        TOO_LONG,
        /** Every sample is exactly zero. */
        SILENCE
    }

    private final Reason reason;

    public AudioRejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
