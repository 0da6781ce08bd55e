package dev.speakerembedding.profiles;

/**
 * A vector that cannot be scored. The message names the vector's role and what is wrong, never its values
 * (vectors are biometric data).
 */
public final class InvalidVectorException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Its length is not the dimension expected. */
        DIMENSION_MISMATCH,
        /** It holds a NaN or an infinity. */
        NOT_FINITE,
        /** All its values are zero (or so small that it has no direction). */
        ZERO_VECTOR
    }

    private final Reason reason;

    InvalidVectorException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
