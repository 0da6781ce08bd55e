package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.ModelLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * UP while the process can still reach a model by itself, including while it waits for the network or an offline
 * cache (a restart would not fix "offline and not cached", it would only lose the retry schedule), and after a
 * permanent failure that a restart would only repeat (readiness and /v1/status report it). DOWN only where a restart
 * helps: the lifecycle worker died, is wedged (no progress for MODEL_WORKER_STALL_TIMEOUT_SECONDS), or the JVM failed
 * under it (out of memory).
 */
@Liveness
@ApplicationScoped
public class ModelLivenessCheck implements HealthCheck {

    @Inject
    ModelLifecycle lifecycle;

    @Override
    public HealthCheckResponse call() {
        return ModelHealth.response("model-liveness", lifecycle, view -> view.worker().live());
    }
}
