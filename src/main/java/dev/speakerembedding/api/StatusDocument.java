package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What GET /v1/status answers: whether the service can embed audio now, and if not, what it is doing about it and
 * what would fix it.
 */
@Schema(name = "Status", description = "Whether the service can embed audio now, which model it serves from where, "
        + "and, when it cannot, what the model lifecycle is doing and why.", requiredProperties = {"status",
        "model_loaded", "model_cached", "device", "model_name", "offline_mode", "cache_dir", "state"})
@JsonbPropertyOrder({"status", "modelLoaded", "modelCached", "device", "modelName", "precision", "offlineMode",
        "cacheDir", "state", "error"})
public record StatusDocument(
        @Schema(description = "healthy: a model is loaded and the embedding and verification operations answer; "
                + "loading: the model is being looked up in the cache, downloaded or loaded; unhealthy: no model "
                + "is loaded and none is on its way now (the last attempt failed, error says why, and state tells "
                + "whether another follows; or the service is stopping)", enumeration = {"healthy", "loading",
                "unhealthy"}, example = "healthy")
        String status,
        @JsonbProperty("model_loaded") @Schema(description = "True when a model is loaded and serving (state READY)",
                example = "true")
        boolean modelLoaded,
        @JsonbProperty("model_cached") @Schema(description = "True when every file the model needs is in the cache "
                + "directory for the revision asked for (present, not re-hashed), so a restart loads it without "
                + "the network", example = "true")
        boolean modelCached,
        @Schema(description = "Where inference runs", example = "cpu")
        String device,
        @JsonbProperty("model_name") @Schema(description = "Repository id of the model served or being loaded "
                + "(EMBEDDING_MODEL)", example = "speechbrain/spkrec-ecapa-voxceleb")
        String modelName,
        @Schema(description = "The numeric precision the model runs in (MODEL_PRECISION): float32, the graph equal "
                + "to speechbrain's, or int8, a quantised conversion of a speechbrain checkpoint; absent when "
                + "MODEL_PRECISION is invalid", enumeration = {"float32", "int8"}, example = "float32")
        String precision,
        @JsonbProperty("offline_mode") @Schema(description = "True when HF_HUB_OFFLINE forbids the network: only "
                + "a cached model can be loaded", example = "false")
        boolean offlineMode,
        @JsonbProperty("cache_dir") @Schema(description = "The model cache directory (MODEL_CACHE_DIR or its "
                + "fallback)", example = "/app/models")
        String cacheDir,
        @Schema(description = "The model lifecycle state: STARTING, CHECKING_CACHE, DOWNLOADING, LOADING, READY, "
                + "WAITING_TO_RETRY (the last attempt failed for a reason that can pass; another follows), FAILED "
                + "(no further attempt in this process: error says whether the configuration, the image or a "
                + "restart has to change) or STOPPED", example = "READY")
        String state,
        @Schema(description = "Why the last attempt to load the model failed, and how to fix it, or why the model "
                + "worker needs a restart of the process (then /health/live is DOWN too); absent when neither")
        String error) {
}
