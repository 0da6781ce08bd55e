package dev.speakerembedding.profiles.store;

import java.util.Objects;

/**
 * Input the store refuses before touching the database, so nothing is stored. The edge answers 400 (or 413 for
 * oversized metadata) with a code per {@link Reason}. The message says what is wrong with the value, never the
 * value.
 */
public final class InvalidProfileInputException extends ProfileStoreException {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** A profile or enrollment id that is not a canonical UUID. */
        MALFORMED_ID,
        /** A page cursor that this store did not hand out. */
        MALFORMED_CURSOR,
        /** An external id that is empty, too long or holds control characters. */
        INVALID_EXTERNAL_ID,
        /** Metadata over {@link ProfileInputs#MAX_METADATA_BYTES} bytes of UTF-8. */
        METADATA_TOO_LARGE,
        /** Metadata that is not text a database can hold (a NUL character, a lone surrogate). */
        INVALID_METADATA,
        /** An embedding of the wrong dimension, with NaN or infinity, or zero. */
        INVALID_EMBEDDING,
        /** A duration or speech duration that is negative, not finite, or speech longer than the audio. */
        INVALID_DURATION,
        /** An empty enrollment batch, a page size or count out of range. */
        OUT_OF_RANGE
    }

    private final Reason reason;

    InvalidProfileInputException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    InvalidProfileInputException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
