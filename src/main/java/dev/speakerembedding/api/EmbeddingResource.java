package dev.speakerembedding.api;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.AudioLimits;
import dev.speakerembedding.embedding.AudioRejectedException;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/embeddings")
@ApplicationScoped
@Tag(name = "embeddings")
public class EmbeddingResource {

    @Inject
    ModelLifecycle lifecycle;

    @POST
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "embedAudio", summary = "Embed one audio file",
            description = "Decodes a WAV file (PCM 8/16/24/32-bit, float 32/64-bit, any channel count and sample rate), "
                    + "resamples it to 16 kHz mono as speechbrain does and returns its speaker embedding: by default the "
                    + "raw vector speechbrain's encode_batch returns.")
    @RequestBody(required = true, content = @Content(mediaType = "audio/wav",
            schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "200", description = "The embedding",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EmbeddingResponse.class)))
    @APIResponse(responseCode = "400", description = "Malformed audio or option",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "Request body too large",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "Unsupported media type or audio encoding",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Audio too short, too long, or digital silence",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "Model not loaded yet (see Retry-After and /v1/status)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public EmbeddingResponse embed(
            InputStream body,
            @HeaderParam("Content-Length") Long contentLength,
            @Parameter(description = "Apply speechbrain's mean_var_norm_emb (encode_batch normalize=True)")
            @QueryParam("normalize") String normalize,
            @Parameter(description = "Scale the vector to unit L2 norm")
            @QueryParam("unit_length") String unitLength) throws ProblemException {
        EmbeddingOptions options = new EmbeddingOptions(flag("normalize", normalize), flag("unit_length", unitLength));
        SpeakerEmbedder embedder = readyEmbedder();
        ServiceConfig config = lifecycle.config();
        byte[] wav = RequestBodies.readBounded(body, contentLength == null ? -1 : contentLength, config.maxRequestBytes());
        EmbeddingResult result = embedOne(embedder, wav, options, config);
        LifecycleStatus status = lifecycle.manager().orElseThrow().status();
        return new EmbeddingResponse(config.modelId(), status.commit(), embedder.dimension(), options.normalize(),
                options.unitLength(), List.of(new EmbeddingResponse.Item(0, result.embedding(),
                result.durationSeconds(), result.sampleRateHz(), result.channelCount())));
    }

    static boolean flag(String name, String value) throws ProblemException {
        if (value == null || value.isEmpty()) {
            return false;
        }
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ProblemException(400, "invalid_option", "Invalid query option",
                    "query option " + name + " must be true or false, got '" + truncate(value) + "'");
        };
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    SpeakerEmbedder readyEmbedder() throws ProblemException {
        var embedder = lifecycle.embedder();
        if (embedder.isPresent()) {
            return embedder.get();
        }
        String why = lifecycle.manager().map(m -> m.status().lastError()).orElse(null);
        if (why == null) {
            why = lifecycle.configurationError().orElse("the model is still loading");
        }
        int retryAfter = lifecycle.manager().map(m -> m.status().nextRetryAt())
                .map(t -> (int) Math.max(1, Duration.between(Instant.now(), t).toSeconds() + 1)).orElse(5);
        throw new ProblemException(503, "model_not_ready", "Model not ready",
                "no model is loaded yet: " + why + " (see /v1/status)", retryAfter);
    }

    static EmbeddingResult embedOne(SpeakerEmbedder embedder, byte[] wav, EmbeddingOptions options,
                                    ServiceConfig config) throws ProblemException {
        try {
            return embedder.embed(wav, options, new AudioLimits(config.minAudioSeconds(), config.maxAudioSeconds()));
        } catch (AudioFormatException e) {
            throw switch (e.reason()) {
                case UNSUPPORTED_ENCODING -> new ProblemException(415, "unsupported_audio_encoding",
                        "Unsupported audio encoding", e.getMessage());
                case TOO_LARGE -> new ProblemException(422, "audio_too_long", "Audio too long", e.getMessage());
                case MALFORMED, TRUNCATED -> new ProblemException(400, "malformed_audio", "Malformed audio",
                        e.getMessage());
            };
        } catch (AudioRejectedException e) {
            throw switch (e.reason()) {
                case TOO_SHORT -> new ProblemException(422, "audio_too_short", "Audio too short",
                        e.getMessage() + " (MIN_AUDIO_SECONDS)");
                case TOO_LONG -> new ProblemException(422, "audio_too_long", "Audio too long",
                        e.getMessage() + " (MAX_AUDIO_SECONDS)");
                case SILENCE -> new ProblemException(422, "audio_silent", "Digital silence", e.getMessage());
            };
        }
    }
}
