package dev.speakerembedding.metrics;

import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ModelManager;
import dev.speakerembedding.lifecycle.ProfileLifecycle;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.profiles.ProfileState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.util.Locale;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;

/**
 * The model's and the profiles' gauges: the lifecycle state (one series per state, 1 for the current one), and once
 * a model serves, its identity, load and conversion times; the profiles by state. Read from the lifecycle at each
 * scrape, so they cannot drift from /v1/status; the profile counts are the index poller's last count, so a scrape
 * never waits on the database.
 */
@ApplicationScoped
public class ModelMetrics {

    public static final String STATE = "speaker_embedding_model_state";
    public static final String INFO = "speaker_embedding_model_info";
    public static final String LOAD_SECONDS = "speaker_embedding_model_load_seconds";
    public static final String CONVERSION_SECONDS = "speaker_embedding_model_conversion_seconds";
    public static final String PROFILES = "speaker_embedding_profiles";

    @Inject
    ServiceMetrics metrics;

    @Inject
    ModelLifecycle lifecycle;

    @Inject
    ProfileLifecycle profiles;

    private boolean servingRegistered;

    void onStart(@Observes Startup event) {
        for (LifecycleState state : LifecycleState.values()) {
            metrics.gauge(STATE, "1 for the model lifecycle's current state (as /v1/status reports it), 0 for the "
                    + "others", MetricUnits.NONE, () -> state() == state ? 1 : 0,
                    new Tag("state", state.name().toLowerCase(Locale.ROOT)));
        }
        for (ProfileState state : ProfileState.values()) {
            metrics.gauge(PROFILES, "Speaker profiles by their state under the serving model, as the API reports it; "
                    + "counted again within about PROFILE_SYNC_INTERVAL_MS of a write (0 until first counted, the "
                    + "last count while the database is away)", MetricUnits.NONE,
                    () -> profiles.stateCounts().map(c -> c.of(state)).orElse(0L),
                    new Tag("state", state.name().toLowerCase(Locale.ROOT)));
        }
        lifecycle.manager().flatMap(ModelManager::serving).ifPresent(s -> servingModel(s.status()));
    }

    /** The model lifecycle changed state (ModelLifecycle fires it on the worker thread). */
    void onStateChange(@Observes LifecycleStatus status) {
        if (status.state() == LifecycleState.READY) {
            servingModel(status);
        }
    }

    /** Registers what is known only once a model serves: one model per process, so once. */
    private synchronized void servingModel(LifecycleStatus ready) {
        if (servingRegistered) {
            return;
        }
        SpeakerModel model = lifecycle.manager().flatMap(ModelManager::serving).map(s -> s.embedder().model())
                .orElse(null);
        if (model == null) {
            return;
        }
        servingRegistered = true;
        metrics.gauge(INFO, "The serving model: 1, with its repository, the commit it was loaded from and its "
                + "family as labels", MetricUnits.NONE, () -> 1,
                new Tag("model", lifecycle.config().modelId()), new Tag("revision", String.valueOf(ready.commit())),
                new Tag("family", model.family()));
        double loadSeconds = ready.loadTime() == null ? 0 : ready.loadTime().toNanos() / 1e9;
        metrics.gauge(LOAD_SECONDS, "From the first look at the model cache to the model serving, download and "
                + "conversion included", MetricUnits.SECONDS, () -> loadSeconds);
        model.conversion().ifPresent(c -> metrics.gauge(CONVERSION_SECONDS, "Time spent converting the checkpoint to "
                + "ONNX at this start (0 when a conversion in the cache was reused)", MetricUnits.SECONDS,
                () -> conversionSeconds(c)));
    }

    static double conversionSeconds(ConversionInfo c) {
        return c.convertedNow() ? c.conversionMillis() / 1e3 : 0;
    }

    private LifecycleState state() {
        if (lifecycle.configurationError().isPresent()) {
            return LifecycleState.FAILED;
        }
        return lifecycle.manager().map(m -> m.status().state()).orElse(LifecycleState.STARTING);
    }
}
