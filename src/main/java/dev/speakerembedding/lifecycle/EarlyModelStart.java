package dev.speakerembedding.lifecycle;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.logging.LibertyLogRecordContext;
import dev.speakerembedding.logging.LogFields;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.BeforeShutdown;
import jakarta.enterprise.inject.spi.Extension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Starts the model's worker as soon as CDI begins to boot the application, instead of at its {@code Startup} event:
 * Liberty then still spends seconds on bean discovery, the OpenAPI document and the web module (mostly on one
 * thread), and the cache verification and ONNX Runtime session creation run beside that on the other core (README
 * "Benchmarks", the start-up paragraph). Readiness already waits for the model, so nothing is reported earlier.
 *
 * <p>The settings come from the same MicroProfile Config the beans are injected from. {@link ModelLifecycle} adopts
 * this manager only when its injected {@link ServiceConfig} gives the manager the same settings; otherwise (and when
 * anything here fails) it closes it and starts its own, so configuration errors are reported exactly as before.
 * Download bytes and retries seen before the beans exist are kept and handed to them once they do.
 */
public class EarlyModelStart implements Extension {

    private static final Logger LOG = Logger.getLogger(EarlyModelStart.class.getName());

    private volatile Started started;

    /** The manager and the configuration it was built from, with the listener the beans attach to. */
    record Started(ModelManager manager, ServiceConfig config, DeferredDownloadListener downloads,
                   DeferredStateObserver states) {
    }

    void beforeBeanDiscovery(@Observes BeforeBeanDiscovery event) {
        try {
            LogFields.install(LibertyLogRecordContext.find(EarlyModelStart.class.getClassLoader()).orElse(null));
            Config mpConfig = ConfigProvider.getConfig(EarlyModelStart.class.getClassLoader());
            ServiceConfig config = ServiceConfig.fromLookup(name -> mpConfig.getOptionalValue(name, String.class)
                    .orElse(null));
            DeferredDownloadListener downloads = new DeferredDownloadListener();
            DeferredStateObserver states = new DeferredStateObserver();
            ModelManager manager = Components.modelManager(config, downloads);
            manager.onStateChange(states);
            ModelLifecycle.logSettings(config);
            manager.start();
            started = new Started(manager, config, downloads, states);
        } catch (Exception | LinkageError e) {
            // ModelLifecycle starts the model at the Startup event instead and reports what is wrong, as before.
            LOG.log(Level.FINE, "The model is started with the application instead of early: " + e);
        }
    }

    /** Hands the early manager over (once): empty when none was started or it was already taken. */
    synchronized Optional<Started> take() {
        Started s = started;
        started = null;
        return Optional.ofNullable(s);
    }

    /** The application failed to deploy, or stops before {@link ModelLifecycle} took the manager. */
    void beforeShutdown(@Observes BeforeShutdown event) {
        take().ifPresent(s -> s.manager().close());
    }

    /** Events before the beans exist are kept, then replayed to them: the metrics count every downloaded byte. */
    static final class DeferredDownloadListener implements DownloadListener {
        private DownloadListener target;
        private long bytesBefore;
        private final List<String> retriesBefore = new ArrayList<>();
        private final List<Duration> retryDelaysBefore = new ArrayList<>();

        synchronized void attach(DownloadListener listener) {
            target = listener;
            if (bytesBefore > 0) {
                listener.bytesReceived(bytesBefore);
            }
            for (int i = 0; i < retriesBefore.size(); i++) {
                listener.retrying(retriesBefore.get(i), retryDelaysBefore.get(i));
            }
            retriesBefore.clear();
            retryDelaysBefore.clear();
        }

        @Override
        public synchronized void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
            if (target != null) {
                target.progress(file, bytesDone, bytesTotal, bytesPerSecond);
            }
        }

        @Override
        public synchronized void bytesReceived(long count) {
            if (target != null) {
                target.bytesReceived(count);
            } else {
                bytesBefore += count;
            }
        }

        @Override
        public synchronized void retrying(String what, Duration delay) {
            if (target != null) {
                target.retrying(what, delay);
            } else {
                retriesBefore.add(what);
                retryDelaysBefore.add(delay);
            }
        }

        @Override
        public synchronized void fileDone(String file, long bytes, Duration took, boolean downloaded) {
            if (target != null) {
                target.fileDone(file, bytes, took, downloaded);
            }
        }
    }

    /**
     * State changes go to the CDI event once the bean is there; earlier ones need no replay, since observers read the
     * current state when they start (ModelMetrics registers a model that was ready before it).
     */
    static final class DeferredStateObserver implements Consumer<LifecycleStatus> {
        private volatile Consumer<LifecycleStatus> target;

        void attach(Consumer<LifecycleStatus> observer) {
            target = observer;
        }

        @Override
        public void accept(LifecycleStatus status) {
            Consumer<LifecycleStatus> t = target;
            if (t != null) {
                t.accept(status);
            }
        }
    }
}
