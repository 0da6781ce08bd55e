package dev.speakerembedding.lifecycle;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.logging.LibertyLogRecordContext;
import dev.speakerembedding.logging.LogFields;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The CDI edge of the model lifecycle: built from {@link ServiceConfig} when the application starts, closed when it
 * stops. Everything it does is in {@link ModelManager}.
 */
@ApplicationScoped
public class ModelLifecycle {

    private static final Logger LOG = Logger.getLogger(ModelLifecycle.class.getName());

    @Inject
    ServiceConfig config;

    /** Download observers (metrics); none in a deployment without them. */
    @Inject
    Instance<DownloadListener> downloadObservers;

    /** Each change of the lifecycle's state, fired on the thread that made it (metrics observe it). */
    @Inject
    Event<LifecycleStatus> stateChanges;

    private volatile ModelManager manager;
    private volatile String configurationError;

    /** The worker started while CDI booted (README "Benchmarks", the start-up paragraph), if it did. */
    @Inject
    Instance<EarlyModelStart> early;

    void onStart(@Observes Startup event) {
        // Fields of the lifecycle's log lines become JSON fields where Liberty's API is there (README "Logs").
        LogFields.install(LibertyLogRecordContext.find(ModelLifecycle.class.getClassLoader()).orElse(null));
        DownloadListener observer = DownloadListener.none();
        for (DownloadListener l : downloadObservers) {
            observer = DownloadListener.both(observer, l);
        }
        Optional<EarlyModelStart.Started> started = early.isResolvable() ? early.get().take()
                : Optional.empty();
        if (started.isPresent() && sameModelSettings(started.get().config(), config)) {
            EarlyModelStart.Started s = started.get();
            s.downloads().attach(observer);
            s.states().attach(stateChanges::fire);
            manager = s.manager();
            // A model that became ready before the observers were attached is announced once now (the metrics
            // register the serving model's identity on it; they ignore a second announcement).
            LifecycleStatus now = manager.status();
            if (now.state() == LifecycleState.READY) {
                stateChanges.fire(now);
            }
            return;
        }
        started.ifPresent(s -> s.manager().close());
        try {
            manager = Components.modelManager(config, observer);
            manager.onStateChange(stateChanges::fire);
            logSettings(config);
            manager.start();
        } catch (HubException | IllegalArgumentException e) {
            configurationError = "Invalid configuration: " + e.getMessage();
            LOG.log(Level.SEVERE, configurationError);
        }
    }

    static void logSettings(ServiceConfig config) {
        LOG.info(String.format("Model %s@%s, cache %s, offline mode %s, endpoint %s", config.modelId(),
                config.revision(), config.cacheDir(), config.offline(),
                config.offline() ? "(not used)" : config.endpoint()));
    }

    /**
     * Whether two configurations give the model manager the same settings (everything {@link Components#modelManager}
     * reads): the early one is read through MicroProfile Config by name, the injected one by the same names, so they
     * differ only if the configuration changed in between.
     */
    static boolean sameModelSettings(ServiceConfig a, ServiceConfig b) {
        try {
            return modelSettings(a).equals(modelSettings(b));
        } catch (RuntimeException e) {
            return false; // an invalid setting: the manager built below reports it
        }
    }

    private static List<Object> modelSettings(ServiceConfig c) {
        return List.of(c.modelId(), c.revision(), c.modelFile(), c.modelFamily(), c.offline(), c.cacheDir(),
                c.convertedModelDir(), c.endpoint(), c.token(), c.connectTimeout(), c.readTimeout(),
                c.downloadRetries(), c.progressInterval(), c.retryInitialDelay(), c.retryMaxDelay(),
                c.workerStallTimeout(), c.onnxIntraOpThreads(), c.maxConcurrentInferences(), c.modelPrecision());
    }

    public Optional<ModelManager> manager() {
        return Optional.ofNullable(manager);
    }

    /** Set when the configuration itself is unusable (a malformed EMBEDDING_MODEL, say); then no manager exists. */
    public Optional<String> configurationError() {
        return Optional.ofNullable(configurationError);
    }

    public ServiceConfig config() {
        return config;
    }

    public Optional<SpeakerEmbedder> embedder() {
        ModelManager m = manager;
        return m == null ? Optional.empty() : m.embedder();
    }

    /** Live unless the model worker needs a restart of the process (see {@link ModelManager#health()}). */
    public ModelManager.WorkerHealth workerHealth() {
        ModelManager m = manager;
        return m == null ? new ModelManager.WorkerHealth(true, null) : m.health();
    }

    @PreDestroy
    void stop() {
        ModelManager m = manager;
        if (m != null) {
            m.close();
        }
    }
}
