package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "ModelInfo", description = "The model being served, where it came from and how it runs",
        requiredProperties = {"model", "revision", "commit", "format", "family", "precision", "files", "dimension",
                "sample_rate_hz", "metadata", "front_end", "device", "onnxruntime_version", "loaded_at", "limits"})
@JsonbPropertyOrder({"model", "revision", "commit", "format", "family", "precision", "files", "dimension",
        "sampleRateHz",
        "metadata", "frontEnd", "device", "onnxRuntimeVersion", "loadedAt", "loadSeconds", "conversion", "limits"})
public record ModelInfo(
        @Schema(description = "Repository id (EMBEDDING_MODEL)", example = "speechbrain/spkrec-ecapa-voxceleb")
        String model,
        @Schema(description = "The revision asked for (MODEL_REVISION): branch, tag or commit", example = "main")
        String revision,
        @Schema(description = "The commit the revision resolved to",
                example = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286")
        String commit,
        @Schema(description = "Model format: speechbrain-ecapa (a checkpoint converted to ONNX) or sherpa-onnx (an "
                + "ONNX file served as it is)", example = "speechbrain-ecapa") String format,
        @Schema(description = "Model family: speechbrain-ecapa, wespeaker, 3d-speaker or nemo",
                example = "speechbrain-ecapa") String family,
        @Schema(description = "The numeric precision the model runs in (MODEL_PRECISION): float32, the graph equal "
                + "to speechbrain's, or int8, a quantised conversion of a speechbrain checkpoint whose embeddings "
                + "differ slightly. Part of the profile model identity (precision fp32 or int8), so profiles "
                + "enrolled in one precision are never scored against the other", enumeration = {"float32", "int8"},
                example = "float32") String precision,
        @Schema(description = "The repository files the model was built from") List<ModelFile> files,
        @Schema(description = "Length of an embedding", example = "192") int dimension,
        @JsonbProperty("sample_rate_hz") @Schema(description = "Sample rate the model expects; audio at other "
                + "rates is resampled to it", example = "16000") int sampleRateHz,
        @Schema(description = "The model's own metadata: the ONNX custom metadata of a sherpa-onnx file, the "
                + "hyperparameters of a speechbrain checkpoint") Map<String, String> metadata,
        @JsonbProperty("front_end") @Schema(description = "The front-end settings in force: channel mix, "
                + "resampler, filterbank and normalisation") Map<String, String> frontEnd,
        @Schema(description = "Where inference runs", example = "cpu") String device,
        @JsonbProperty("onnxruntime_version") @Schema(description = "ONNX Runtime version", example = "1.29.0")
        String onnxRuntimeVersion,
        @JsonbProperty("loaded_at") @Schema(description = "When the model became ready (UTC)",
                example = "2025-01-31T12:00:00Z") Instant loadedAt,
        @JsonbProperty("load_seconds") @Schema(description = "From the first look at the cache to ready, in "
                + "seconds (downloads included)", example = "4.2") Double loadSeconds,
        @Schema(description = "How the checkpoint became an ONNX graph; absent for ONNX files served as they are")
        Conversion conversion,
        @Schema(description = "The request limits in force") Limits limits) {

    @Schema(name = "ModelFile", description = "One repository file of the model",
            requiredProperties = {"name", "size_bytes", "sha256"})
    @JsonbPropertyOrder({"name", "sizeBytes", "sha256"})
    public record ModelFile(
            @Schema(example = "embedding_model.ckpt") String name,
            @JsonbProperty("size_bytes") @Schema(example = "83316686") long sizeBytes,
            @Schema(description = "SHA-256 of the content, hex",
                    example = "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671ff1e3e4e8e1d5c4d") String sha256) {
    }

    @Schema(name = "ModelConversion", description = "The ONNX graph converted from speechbrain's checkpoint",
            requiredProperties = {"onnx_file", "onnx_size_bytes", "checkpoint_sha256", "converter_version",
                    "converted_at_load", "conversion_seconds"})
    @JsonbPropertyOrder({"onnxFile", "onnxSizeBytes", "checkpointSha256", "converterVersion", "convertedAtLoad",
            "conversionSeconds"})
    public record Conversion(
            @JsonbProperty("onnx_file") @Schema(description = "The converted graph, in the model cache",
                    example = "/app/models/.onnx/0575cb64...-ecapa-c1/model.onnx") String onnxFile,
            @JsonbProperty("onnx_size_bytes") @Schema(example = "83251234") long onnxSizeBytes,
            @JsonbProperty("checkpoint_sha256") @Schema(description = "SHA-256 of embedding_model.ckpt, which "
                    + "names the cached conversion",
                    example = "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671ff1e3e4e8e1d5c4d")
            String checkpointSha256,
            @JsonbProperty("converter_version") @Schema(example = "1") int converterVersion,
            @JsonbProperty("converted_at_load") @Schema(description = "True when this load converted the "
                    + "checkpoint, false when a cached conversion was reused", example = "false")
            boolean convertedAtLoad,
            @JsonbProperty("conversion_seconds") @Schema(description = "Time the conversion took (0 when reused)",
                    example = "0.0") double conversionSeconds) {
    }

    @Schema(name = "Limits", description = "What a request may carry (each limit names its setting)",
            requiredProperties = {"max_request_bytes", "min_audio_seconds", "max_audio_seconds", "max_batch_size",
                    "verify_threshold"})
    @JsonbPropertyOrder({"maxRequestBytes", "minAudioSeconds", "maxAudioSeconds", "maxBatchSize", "verifyThreshold"})
    public record Limits(
            @JsonbProperty("max_request_bytes") @Schema(description = "MAX_REQUEST_BYTES", example = "33554432")
            long maxRequestBytes,
            @JsonbProperty("min_audio_seconds") @Schema(description = "MIN_AUDIO_SECONDS", example = "0.1")
            double minAudioSeconds,
            @JsonbProperty("max_audio_seconds") @Schema(description = "MAX_AUDIO_SECONDS", example = "120")
            double maxAudioSeconds,
            @JsonbProperty("max_batch_size") @Schema(description = "MAX_BATCH_SIZE", example = "16") int maxBatchSize,
            @JsonbProperty("verify_threshold") @Schema(description = "VERIFY_THRESHOLD", example = "0.25")
            double verifyThreshold) {
    }
}
