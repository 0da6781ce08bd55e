package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ModelManager;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/** The data every probe carries, so whichever one an operator looks at says what the model is doing and why. */
final class ModelHealth {

    static final String DEVICE = "cpu";

    private ModelHealth() {
    }

    static HealthCheckResponse response(String name, ModelLifecycle lifecycle, boolean up) {
        HealthCheckResponseBuilder b = HealthCheckResponse.named(name).status(up)
                .withData("model_name", lifecycle.config().modelId())
                .withData("offline_mode", lifecycle.config().offline())
                .withData("device", DEVICE)
                .withData("cache_dir", lifecycle.config().cacheDir().toString());
        ModelManager manager = lifecycle.manager().orElse(null);
        if (manager == null) {
            return b.withData("model_loaded", false)
                    .withData("model_cached", false)
                    .withData("state", LifecycleState.FAILED.name())
                    .withData("last_error", lifecycle.configurationError().orElse("starting"))
                    .build();
        }
        LifecycleStatus s = manager.status();
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
        return b.build();
    }
}
