package dev.speakerembedding.health;

import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ProfileLifecycle;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * UP only with a loaded model: traffic goes to replicas that can embed. The profile store is reported here
 * ({@code profile_store}, and {@code profile_store_error} with the reason; a database lost mid-run as the index
 * poller last found it, see {@link ProfileLifecycle#storeAvailable()}) but does not gate readiness: the
 * embedding endpoints do not need the database, and taking every replica out of service when a shared database
 * goes away would stop those too; the profile endpoints answer 503 {@code profile_store_unavailable} meanwhile.
 */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    @Inject
    ModelLifecycle lifecycle;

    @Inject
    ProfileLifecycle profiles;

    @Override
    public HealthCheckResponse call() {
        return ModelHealth.response("model-readiness", lifecycle,
                view -> view.status() != null && view.status().modelLoaded(), b -> {
                    boolean available = profiles.storeAvailable();
                    b.withData("profile_store", available ? "available" : "unavailable");
                    if (!available) {
                        b.withData("profile_store_error", profiles.unavailableReason());
                    }
                });
    }
}
