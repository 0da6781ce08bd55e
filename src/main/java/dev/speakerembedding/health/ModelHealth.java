package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ModelManager;
import java.util.function.Predicate;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/** The data every probe carries, so whichever one an operator looks at says what the model is doing and why. */
final class ModelHealth {

    static final String DEVICE = "cpu";

    /**
     * What one probe call saw, read once: the decision and the data of a response come from the same moment, so a
     * probe never says UP beside {@code model_loaded: false}.
     *
     * @param status the lifecycle status, or null when no manager exists (the configuration is unusable)
     * @param worker the worker's health
     */
    record View(LifecycleStatus status, ModelManager.WorkerHealth worker) {
    }

    private ModelHealth() {
    }

    static HealthCheckResponse response(String name, ModelLifecycle lifecycle, Predicate<View> up) {
        return response(name, lifecycle, up, b -> { });
    }

    /** @param extra adds a probe's own data */
    static HealthCheckResponse response(String name, ModelLifecycle lifecycle, Predicate<View> up,
                                        java.util.function.Consumer<HealthCheckResponseBuilder> extra) {
        ModelManager manager = lifecycle.manager().orElse(null);
        View view = manager == null ? new View(null, lifecycle.workerHealth())
                : new View(manager.status(), manager.health());
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name).status(up.test(view))
                .withData("model_name", lifecycle.config().modelId())
                .withData("offline_mode", lifecycle.config().offline())
                .withData("device", DEVICE)
                .withData("cache_dir", lifecycle.config().cacheDir().toString());
        extra.accept(b);
        if (manager == null) {
            return b.withData("model_loaded", false)
                    .withData("model_cached", false)
                    .withData("state", LifecycleState.FAILED.name())
                    .withData("last_error", lifecycle.configurationError().orElse("starting"))
                    .build();
        }
        LifecycleStatus s = view.status();
        b.withData("model_loaded", s.modelLoaded())
                .withData("model_cached", manager.modelCached())
                .withData("state", s.state().name())
                .withData("revision", manager.settings().ref().revision());
        if (s.commit() != null) {
            b.withData("commit", s.commit());
        }
        if (s.lastError() != null) {
            b.withData("last_error", s.lastError());
        }
        if (s.nextRetryAt() != null) {
            b.withData("next_retry_at", s.nextRetryAt().toString());
        }
        if (!view.worker().live()) {
            b.withData("restart_reason", view.worker().reason());
        }
        return b.build();
    }
}
