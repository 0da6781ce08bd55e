package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.ModelLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** UP only with a loaded model: traffic goes to replicas that can embed. */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    @Inject
    ModelLifecycle lifecycle;

    @Override
    public HealthCheckResponse call() {
        return ModelHealth.response("model-readiness", lifecycle,
                view -> view.status() != null && view.status().modelLoaded());
    }
}
