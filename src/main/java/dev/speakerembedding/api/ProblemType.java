package dev.speakerembedding.api;

import java.util.Locale;

/**
 * Every problem this API answers with. The {@link #code()} (and the {@code type} URI derived from it) is part of
 * the API contract: clients branch on it, so an existing code never changes meaning; new ones may be added.
 */
public enum ProblemType {
    MALFORMED_AUDIO(400, "Malformed audio"),
    INVALID_OPTION(400, "Invalid query option"),
    BODY_READ_FAILED(400, "Request body could not be read"),
    INVALID_MULTIPART(400, "Invalid multipart body"),
    INVALID_JSON(400, "Invalid JSON body"),
    BAD_REQUEST(400, "Bad request"),
    MALFORMED_ID(400, "Malformed id"),
    INVALID_EXTERNAL_ID(400, "Invalid external id"),
    INVALID_METADATA(400, "Invalid metadata"),
    UNAUTHORIZED(401, "Unauthorized"),
    FORBIDDEN(403, "Forbidden"),
    NOT_FOUND(404, "Not found"),
    PROFILE_NOT_FOUND(404, "Speaker profile not found"),
    ENROLLMENT_NOT_FOUND(404, "Enrollment not found"),
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    NOT_ACCEPTABLE(406, "Not acceptable"),
    UPLOAD_TOO_SLOW(408, "Upload too slow"),
    DUPLICATE_EXTERNAL_ID(409, "Duplicate external id"),
    PROFILE_NOT_ENROLLED(409, "Profile not enrolled"),
    MODEL_MISMATCH(409, "Embedding of another model"),
    REQUEST_TOO_LARGE(413, "Request too large"),
    BATCH_TOO_LARGE(413, "Too many audio files"),
    METADATA_TOO_LARGE(413, "Metadata too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    UNSUPPORTED_AUDIO_ENCODING(415, "Unsupported audio encoding"),
    UNSUPPORTED_CONTENT_ENCODING(415, "Unsupported content encoding"),
    AUDIO_TOO_SHORT(422, "Audio too short"),
    AUDIO_TOO_LONG(422, "Audio too long"),
    AUDIO_SILENT(422, "Digital silence"),
    INVALID_EMBEDDING(422, "Invalid embeddings"),
    INSUFFICIENT_SPEECH(422, "Not enough speech"),
    INTERNAL_ERROR(500, "Internal error"),
    MODEL_NOT_READY(503, "Model not ready"),
    SATURATED(503, "Service saturated"),
    PROFILE_STORE_UNAVAILABLE(503, "Profile store unavailable");

    /** Prefix of every problem's {@code type}; the code follows with dashes. */
    public static final String TYPE_PREFIX = "urn:speaker-embedding:problem:";

    private final int status;
    private final String title;

    ProblemType(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The stable machine-readable code, e.g. {@code audio_too_short}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String typeUri() {
        return TYPE_PREFIX + code().replace('_', '-');
    }

    public ProblemException exception(String detail) {
        return new ProblemException(this, detail, null);
    }

    public ProblemException exception(String detail, int retryAfterSeconds) {
        return new ProblemException(this, detail, retryAfterSeconds);
    }
}
