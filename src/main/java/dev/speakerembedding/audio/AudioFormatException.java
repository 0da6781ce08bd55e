package dev.speakerembedding.audio;

/** The bytes are not audio this service can decode; the message says what exactly is wrong. */
public final class AudioFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the input was refused. */
    public enum Reason {
        /** Not a WAV file, or its header contradicts itself (zero channels, block align mismatch, ...). */
        MALFORMED,
        /** A well-formed WAV whose encoding, bit depth or sample rate is not supported. */
        UNSUPPORTED_ENCODING,
        /** The input ends before the header (RIFF header, a chunk header or the fmt chunk) is complete. */
        TRUNCATED,
        /** The audio holds more samples than the caller allows. */
        TOO_LARGE
    }

    private final Reason reason;

    public AudioFormatException(Reason reason, String message) {
        super(message);
        this.reason = java.util.Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
