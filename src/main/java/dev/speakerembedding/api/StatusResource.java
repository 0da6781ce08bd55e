package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ModelManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/status")
@ApplicationScoped
@Tag(name = "status", description = "What the service is doing")
public class StatusResource {

    @Inject
    ModelLifecycle lifecycle;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(operationId = "getStatus", summary = "Service status",
            description = "Whether a model is loaded and serving, which model and cache directory the service "
                    + "uses, whether it may use the network, the model lifecycle state and, after a failed attempt, "
                    + "the error with its remedy. Answers at once, whatever the model is doing. Orchestrators "
                    + "should use the MicroProfile Health probes (/health/live, /health/ready, /health/started).")
    @APIResponse(responseCode = "200", description = "Current status",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = StatusDocument.class)))
    public StatusDocument status() {
        var config = lifecycle.config();
        ModelManager manager = lifecycle.manager().orElse(null);
        if (manager == null) {
            return new StatusDocument("unhealthy", false, false, "cpu", config.modelId(), precision(config),
                    config.offline(),
                    config.cacheDir().toString(), LifecycleState.FAILED.name(),
                    lifecycle.configurationError().orElse("starting"));
        }
        LifecycleStatus s = manager.status();
        String status = switch (s.state()) {
            case READY -> "healthy";
            case STARTING, CHECKING_CACHE, DOWNLOADING, LOADING -> "loading";
            case WAITING_TO_RETRY, FAILED, STOPPED -> "unhealthy";
        };
        ModelManager.WorkerHealth worker = manager.health();
        String error = worker.live() ? s.lastError() : worker.reason();
        return new StatusDocument(worker.live() ? status : "unhealthy", s.modelLoaded(), manager.modelCached(), "cpu",
                config.modelId(), precision(config), config.offline(), config.cacheDir().toString(),
                s.state().name(), error);
    }

    /** MODEL_PRECISION, or null when it is invalid (then the error says so). */
    private static String precision(ServiceConfig config) {
        try {
            return config.modelPrecision().configValue();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
