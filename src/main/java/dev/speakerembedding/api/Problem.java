package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An RFC 9457 problem document with a stable machine-readable {@code code}. */
@Schema(name = "Problem", description = "RFC 9457 problem details")
@JsonbPropertyOrder({"type", "title", "status", "detail", "code"})
public record Problem(
        @Schema(description = "URI identifying the problem type", example = "urn:speaker-embedding:problem:audio-too-short")
        String type,
        @Schema(example = "Audio too short") String title,
        @Schema(example = "422") int status,
        @Schema(description = "What was wrong with this request") String detail,
        @Schema(description = "Stable machine-readable reason", example = "audio_too_short") String code) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String code, String title, String detail) {
        return new Problem("urn:speaker-embedding:problem:" + code.replace('_', '-'), title, status, detail, code);
    }
}
