package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.ModelLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/**
 * UP once the application has started its model lifecycle (the server answers, the worker runs). It does not wait
 * for the model: a first download can take minutes, and a startup probe that failed through it would have
 * Kubernetes kill the download it is waiting for. Readiness is the gate for traffic.
 */
@Startup
@ApplicationScoped
public class ModelStartupCheck implements HealthCheck {

    @Inject
    ModelLifecycle lifecycle;

    @Override
    public HealthCheckResponse call() {
        return ModelHealth.response("model-startup", lifecycle,
                view -> view.status() != null || lifecycle.configurationError().isPresent());
    }
}
