package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.ModelLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * UP while the process can still reach a model by itself, including while it waits for the network or an offline
 * cache: a restart would not fix "offline and not cached", it would only lose the retry schedule. DOWN only when
 * the lifecycle worker died, which a restart does fix.
 */
@Liveness
@ApplicationScoped
public class ModelLivenessCheck implements HealthCheck {

    @Inject
    ModelLifecycle lifecycle;

    @Override
    public HealthCheckResponse call() {
        boolean alive = lifecycle.manager().map(m -> m.alive()).orElse(true);
        return ModelHealth.response("model-liveness", lifecycle, alive);
    }
}
