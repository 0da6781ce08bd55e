package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem document with a stable machine-readable {@code code}. */
@Schema(name = "Problem", description = "RFC 9457 problem details (media type application/problem+json). Clients "
        + "branch on `code`, which never changes meaning: malformed_audio, invalid_option, body_read_failed, "
        + "invalid_multipart, invalid_json, bad_request, malformed_id, invalid_external_id, invalid_metadata (400); "
        + "unauthorized (401, with WWW-Authenticate: Bearer); forbidden (403); not_found, profile_not_found, enrollment_not_found (404); method_not_allowed (405); "
        + "not_acceptable (406); upload_too_slow (408); duplicate_external_id, profile_not_enrolled, model_mismatch (409); "
        + "request_too_large, batch_too_large, metadata_too_large (413); unsupported_media_type, "
        + "unsupported_audio_encoding, unsupported_content_encoding (415); audio_too_short, audio_too_long, audio_silent, invalid_embedding, insufficient_speech (422); "
        + "internal_error (500); model_not_ready, saturated, profile_store_unavailable (503, with Retry-After).",
        requiredProperties = {"type", "title", "status", "detail", "code"})
@JsonbPropertyOrder({"type", "title", "status", "detail", "code"})
public record Problem(
        @Schema(description = "URI identifying the problem type: urn:speaker-embedding:problem: and the code with "
                + "dashes", example = "urn:speaker-embedding:problem:audio-too-short")
        String type,
        @Schema(description = "Short summary of the problem type", example = "Audio too short") String title,
        @Schema(description = "The HTTP status code", example = "422") int status,
        @Schema(description = "What was wrong with this request, and what to do about it",
                example = "audio is 0.010 s long; the minimum is 0.100 s (MIN_AUDIO_SECONDS)") String detail,
        @Schema(description = "Stable machine-readable reason", example = "audio_too_short") String code) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(ProblemType type, String detail) {
        return new Problem(type.typeUri(), type.title(), type.status(), detail, type.code());
    }
}
