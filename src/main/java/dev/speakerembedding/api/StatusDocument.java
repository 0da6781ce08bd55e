package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The Python service's status document, field for field, plus {@code state} and {@code error} so a client can
 * tell why no model is loaded.
 */
@Schema(name = "Status", description = "Service and model status (compatible with the Python service's /health).")
@JsonbPropertyOrder({"status", "modelLoaded", "modelCached", "device", "modelName", "offlineMode", "cacheDir",
        "state", "error"})
public record StatusDocument(
        @Schema(description = "healthy (model loaded), loading, or unhealthy (see error)", example = "healthy")
        String status,
        @JsonbProperty("model_loaded") @Schema(example = "true") boolean modelLoaded,
        @JsonbProperty("model_cached") @Schema(example = "true") boolean modelCached,
        @Schema(example = "cpu") String device,
        @JsonbProperty("model_name") @Schema(example = "speechbrain/spkrec-ecapa-voxceleb") String modelName,
        @JsonbProperty("offline_mode") @Schema(example = "false") boolean offlineMode,
        @JsonbProperty("cache_dir") @Schema(example = "/app/models") String cacheDir,
        @Schema(description = "Lifecycle state", example = "READY") String state,
        @Schema(description = "Why the model is not loaded, and how to fix it; absent when none") String error) {
}
