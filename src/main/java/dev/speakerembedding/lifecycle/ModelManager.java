package dev.speakerembedding.lifecycle;

import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.hub.CacheWriteException;
import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.CorruptCacheException;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.hub.HubUnavailableException;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.OfflineCacheMissException;
import dev.speakerembedding.hub.RepoFiles;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.logging.LogFields;
import dev.speakerembedding.model.ModelFormatException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.ZipException;

/**
 * Owns the model's lifecycle, as the seed describes it: cached → load with no network request; not cached and
 * online → download, verify, load; not cached and offline → report why and how to fix it. Runs on its own worker
 * thread so the server answers at once, retries what can recover (network, 5xx, an offline cache that someone
 * fills later) with capped exponential backoff, and becomes ready by itself.
 *
 * <p>Every change of state writes exactly one log line (README "Logs"), with the fields {@code model},
 * {@code model_state}, {@code model_previous_state}, {@code attempt_int} and, once known, {@code commit}; reading the
 * status (the probes, /v1/status) writes none.
 *
 * <p>Plain Java: the CDI bean in this package only starts and stops it.
 */
public final class ModelManager implements AutoCloseable {

    /** Loads a verified snapshot into a serving embedder (conversion plus ONNX Runtime session). */
    @FunctionalInterface
    public interface Loader {
        SpeakerEmbedder load(CachedSnapshot snapshot) throws ModelFormatException;
    }

    /**
     * Brings the model's files into the cache, verified, and says how to load them: when the configuration does not
     * name the files, finding them (a listing of the repository) is part of the attempt, retried with it.
     */
    @FunctionalInterface
    public interface Acquirer {
        Acquired acquire(ModelFetcher fetcher) throws HubException, ModelFormatException;
    }

    /**
     * @param files    the files the model is made of, which the probes then look for in the cache
     * @param snapshot those files, verified
     * @param loader   how they become the serving embedder
     */
    public record Acquired(RepoFiles files, CachedSnapshot snapshot, Loader loader) {
    }

    /**
     * @param ref               the repository and revision to serve
     * @param files             which files of the repository the model needs (until an {@link Acquirer} finds
     *                          others)
     * @param offline           HF_HUB_OFFLINE: never touch the network
     * @param retryInitialDelay first wait after a recoverable failure
     * @param retryMaxDelay     the cap of the doubling waits
     * @param stallTimeout      longest time an attempt may go without progress (a state change or downloaded
     *                          bytes) before the worker counts as wedged and liveness fails
     */
    public record Settings(RepoRef ref, RepoFiles files, boolean offline, Duration retryInitialDelay,
                           Duration retryMaxDelay, Duration stallTimeout) {
    }

    /**
     * The serving model with the status it was published with, read as one value: a reader never pairs a loaded
     * embedder with the status of another moment.
     */
    public record Serving(SpeakerEmbedder embedder, LifecycleStatus status) {
    }

    /**
     * Whether the worker can still reach a model by itself, for the liveness probe.
     *
     * @param live   false when only a restart of the process can help
     * @param reason why not, or null when live
     */
    public record WorkerHealth(boolean live, String reason) {
        static final WorkerHealth LIVE = new WorkerHealth(true, null);
    }

    private static final Logger LOG = Logger.getLogger(ModelManager.class.getName());

    /** What an operator can do when the Hub cannot be reached; the service keeps retrying meanwhile. */
    static final String UNREACHABLE_REMEDY = "The Hub is unreachable and the model is not cached; retrying with "
            + "backoff. To provide the model: restore network access to HF_ENDPOINT, or point HF_ENDPOINT at a mirror, "
            + "or fill MODEL_CACHE_DIR with scripts/download-embedding-model.sh on a machine with network and mount it "
            + "here (HF_HUB_OFFLINE=1 then avoids any network access)";

    private final Settings settings;
    private final HubCache cache;
    private final ModelFetcher fetcher;
    private final Acquirer acquirer;
    /** The files the model is made of: {@link Settings#files()} until an acquisition says otherwise. */
    private volatile RepoFiles servedFiles;
    private final AtomicReference<LifecycleStatus> status = new AtomicReference<>(LifecycleStatus.initial());
    private final AtomicReference<Serving> serving = new AtomicReference<>();
    private final Object sleeper = new Object();
    private volatile boolean closed;
    private volatile Thread worker;
    /**
     * System.nanoTime() by which the worker must show progress (a state change or a download progress event); moved
     * on at each sign of progress, and past the sleep before the next attempt while it waits.
     */
    private volatile long progressDeadlineNanos;
    /** Told of every change of state (metrics); never of a change within one state. */
    private volatile Consumer<LifecycleStatus> stateObserver = s -> { };
    /** Set with a FAILED status when only a new process can help (see {@link UnexpectedFailure#RESTART_REQUIRED}). */
    private volatile String restartRequired;

    /**
     * @param fetcherFactory builds the fetcher around the listener this manager gives it, which tracks the
     *                       DOWNLOADING state and logs progress
     */
    public ModelManager(Settings settings, HubCache cache, Function<DownloadListener, ModelFetcher> fetcherFactory,
                        Loader loader) {
        this(fetcher -> new Acquired(settings.files(), fetcher.ensure(settings.ref(), settings.files(),
                settings.offline()), loader), settings, cache, fetcherFactory);
    }

    /** As the constructor, with the files found (and how to load them) by {@code acquirer} at each attempt. */
    public static ModelManager acquiring(Settings settings, HubCache cache,
                                         Function<DownloadListener, ModelFetcher> fetcherFactory, Acquirer acquirer) {
        return acquiring(settings, cache, fetcherFactory, acquirer, DownloadListener.none());
    }

    /** As {@link #acquiring(Settings, HubCache, Function, Acquirer)}, download events also going to {@code observer}. */
    public static ModelManager acquiring(Settings settings, HubCache cache,
                                         Function<DownloadListener, ModelFetcher> fetcherFactory, Acquirer acquirer,
                                         DownloadListener observer) {
        return new ModelManager(acquirer, settings, cache, fetcherFactory, observer);
    }

    private ModelManager(Acquirer acquirer, Settings settings, HubCache cache,
                         Function<DownloadListener, ModelFetcher> fetcherFactory) {
        this(acquirer, settings, cache, fetcherFactory, DownloadListener.none());
    }

    private ModelManager(Acquirer acquirer, Settings settings, HubCache cache,
                         Function<DownloadListener, ModelFetcher> fetcherFactory, DownloadListener observer) {
        this.settings = settings;
        this.cache = cache;
        this.fetcher = fetcherFactory.apply(trackingListener(
                DownloadListener.both(new LoggingDownloadListener(), observer)));
        this.acquirer = acquirer;
        this.servedFiles = settings.files();
    }

    /** Starts the worker thread; returns at once. */
    public synchronized void start() {
        if (worker != null) {
            return;
        }
        // A plain thread rather than a managed executor: this class is framework-free and owns exactly one
        // long-lived task whose lifetime is the application's (close() stops and joins it).
        progressed(Duration.ZERO);
        worker = new Thread(this::run, "model-lifecycle");
        worker.setDaemon(true);
        worker.start();
    }

    public LifecycleStatus status() {
        return status.get();
    }

    /** {@code observer} is told, on the thread that made it, of each change of state from now on. */
    public void onStateChange(Consumer<LifecycleStatus> observer) {
        this.stateObserver = observer;
    }

    /** The loaded model and the status it became ready with, if a model is loaded. */
    public Optional<Serving> serving() {
        return Optional.ofNullable(serving.get());
    }

    public Settings settings() {
        return settings;
    }

    /** The serving embedder, if the model is loaded. */
    public Optional<SpeakerEmbedder> embedder() {
        return serving().map(Serving::embedder);
    }

    /** All required files are present in the cache (no hashing: cheap enough for every probe). */
    public boolean modelCached() {
        try {
            return cache.isComplete(settings.ref(), servedFiles);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Live unless only a restart can help: the worker thread died, the JVM failed under it (out of memory, ...), or
     * an attempt has made no progress for {@link Settings#stallTimeout()} (a read that hangs on a dead network file
     * system, a native call that never returns). Waiting for the network or for an offline cache, and a permanent
     * failure that a restart would only repeat, are live: they are reported by readiness and /v1/status instead.
     */
    public WorkerHealth health() {
        String restart = restartRequired;
        if (restart != null) {
            return new WorkerHealth(false, restart);
        }
        Thread w = worker;
        LifecycleStatus s = status.get();
        boolean finished = s.state() == LifecycleState.READY || s.state() == LifecycleState.FAILED
                || s.state() == LifecycleState.STOPPED;
        if (w == null || finished) {
            return WorkerHealth.LIVE;
        }
        if (!w.isAlive()) {
            return new WorkerHealth(false, "the model worker thread ended unexpectedly in state " + s.state());
        }
        long overdueNanos = System.nanoTime() - progressDeadlineNanos;
        if (overdueNanos > 0) {
            long quietSeconds = (overdueNanos + settings.stallTimeout().toNanos()) / 1_000_000_000L;
            return new WorkerHealth(false, String.format("the model worker has made no progress for %d s in state %s"
                    + " (MODEL_WORKER_STALL_TIMEOUT_SECONDS is %d); a restart is needed", quietSeconds, s.state(),
                    settings.stallTimeout().toSeconds()));
        }
        return WorkerHealth.LIVE;
    }

    /** The worker showed progress: the stall timeout starts again, after {@code quietAhead} of expected silence. */
    private void progressed(Duration quietAhead) {
        progressDeadlineNanos = System.nanoTime() + quietAhead.toNanos() + settings.stallTimeout().toNanos();
    }

    private void run() {
        Instant started = Instant.now();
        int attempt = 0;
        while (!closed) {
            attempt++;
            final int attemptNumber = attempt;
            progressed(Duration.ZERO);
            transition(s -> new LifecycleStatus(LifecycleState.CHECKING_CACHE, s.commit(), s.lastError(), null, null,
                    null, attemptNumber), Level.INFO, String.format("Model %s@%s: checking the cache (attempt %d)",
                    settings.ref().repoId(), settings.ref().revision(), attemptNumber), null, Map.of());
            try {
                Acquired acquired = acquirer.acquire(fetcher);
                CachedSnapshot snapshot = acquired.snapshot();
                servedFiles = acquired.files();
                progressed(Duration.ZERO);
                transition(s -> new LifecycleStatus(LifecycleState.LOADING, snapshot.commit(), s.lastError(), null,
                        null, null, attemptNumber), Level.INFO, String.format("Model %s: loading commit %s",
                        settings.ref().repoId(), snapshot.commit()), null, Map.of());
                SpeakerEmbedder loaded = acquired.loader().load(snapshot);
                if (closed) {
                    loaded.close();
                    return;
                }
                Instant now = Instant.now();
                Duration took = Duration.between(started, now);
                LifecycleStatus ready = new LifecycleStatus(LifecycleState.READY, snapshot.commit(), null, now, took,
                        null, attemptNumber);
                serving.set(new Serving(loaded, ready));
                transition(s -> ready, Level.INFO, String.format("✓ Model pre-loaded successfully: %s@%s in %.1f s "
                        + "(dimension %d)", settings.ref().repoId(), snapshot.commit(), took.toMillis() / 1000.0,
                        loaded.dimension()), null, LogFields.of("load_ms_long", took.toMillis(), "dimension_int",
                        loaded.dimension()));
                return;
            } catch (HubException e) {
                if (!recoverable(e)) {
                    fail(e.getMessage(), e, attemptNumber);
                    return;
                }
                String message = e instanceof HubUnavailableException
                        ? e.getMessage() + ". " + UNREACHABLE_REMEDY : e.getMessage();
                waitToRetry(message, e, attemptNumber);
            } catch (ModelFormatException e) {
                if (e.getCause() instanceof IOException && !(e.getCause() instanceof ZipException)) {
                    // Reading the files or writing the converted graph failed (disk full, I/O error), not the
                    // model, whose files were verified: they load once the disk has room again.
                    waitToRetry("The model could not be loaded because of a file system error: " + e.getMessage(),
                            e, attemptNumber);
                    continue;
                }
                fail("The model files do not form a supported model: " + e.getMessage()
                        + " (check EMBEDDING_MODEL, MODEL_REVISION, MODEL_FILE, MODEL_FAMILY and MODEL_PRECISION)", e, attemptNumber);
                return;
            } catch (RuntimeException | Error e) {
                switch (UnexpectedFailure.of(e)) {
                    case RETRY -> waitToRetry("Unexpected failure while loading the model: " + e, e, attemptNumber);
                    case BROKEN_RUNTIME -> {
                        fail("The Java runtime cannot load a class or native library the model needs (" + e
                                + "). Another attempt in this process cannot succeed and a restart of the same image"
                                + " would fail the same way: check that the image is complete and that java.io.tmpdir"
                                + " allows native libraries to be loaded (not mounted noexec), or set"
                                + " onnxruntime.native.path to a directory holding them", e, attemptNumber);
                        return;
                    }
                    case RESTART_REQUIRED -> {
                        restartRequired = "the JVM failed while loading the model (" + e.getClass().getName()
                                + "); a restart is needed";
                        fail("The JVM failed while loading the model (" + e + "); liveness is DOWN so that the "
                                + "process is restarted (if it recurs, raise the memory limit: -Xmx in jvm.options)",
                                e, attemptNumber);
                        return;
                    }
                }
            }
        }
    }

    /**
     * What can fix itself without a restart: the network coming back, (offline) a cache filled by someone else,
     * e.g. the pre-download script writing into a shared volume, and a cache volume that was full or not writable
     * getting room again.
     */
    private static boolean recoverable(HubException e) {
        return e.retryable() || e instanceof OfflineCacheMissException || e instanceof CorruptCacheException
                || e instanceof CacheWriteException;
    }

    private void fail(String message, Throwable cause, int attemptNumber) {
        transition(s -> new LifecycleStatus(LifecycleState.FAILED, s.commit(), message, null, null, null,
                attemptNumber), Level.SEVERE, "Model " + settings.ref().repoId() + " cannot be loaded: " + message
                + " (no further attempts in this process)", cause, Map.of());
    }

    private void waitToRetry(String message, Throwable cause, int attemptNumber) {
        Duration delay = backoff(attemptNumber);
        Instant next = Instant.now().plus(delay);
        progressed(delay);
        transition(s -> new LifecycleStatus(LifecycleState.WAITING_TO_RETRY, s.commit(), message, null, null, next,
                attemptNumber), Level.WARNING, String.format("Model %s not loaded (attempt %d): %s; retrying in %d s",
                settings.ref().repoId(), attemptNumber, message, delay.toSeconds()),
                cause instanceof HubException ? null : cause, LogFields.of("retry_in_ms_long", delay.toMillis()));
        synchronized (sleeper) {
            long deadline = System.nanoTime() + delay.toNanos();
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                try {
                    sleeper.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** initial × 2^(attempt-1), capped, with ±20 % jitter so replicas sharing a Hub do not retry in step. */
    Duration backoff(int attemptNumber) {
        long initialMs = settings.retryInitialDelay().toMillis();
        long capMs = settings.retryMaxDelay().toMillis();
        long ms = initialMs << Math.min(20, attemptNumber - 1);
        ms = Math.min(capMs, ms);
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis(Math.max(1, (long) (ms * jitter)));
    }

    /** Wakes the worker for an immediate attempt (used when the operator knows the cause went away). */
    public void retryNow() {
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    /**
     * Records DOWNLOADING from the first bytes of a body (progress events come only once per progress interval, so a
     * small file could arrive whole without one), then passes the events on.
     */
    private DownloadListener trackingListener(DownloadListener delegate) {
        return new DownloadListener() {
            @Override
            public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
                progressed(Duration.ZERO);
                delegate.progress(file, bytesDone, bytesTotal, bytesPerSecond);
            }

            @Override
            public void bytesArrived() {
                progressed(Duration.ZERO);
                if (status.get().state() == LifecycleState.CHECKING_CACHE) {
                    transition(s -> s.state() == LifecycleState.CHECKING_CACHE ? s.with(LifecycleState.DOWNLOADING) : s,
                            Level.INFO, String.format("Model %s: downloading from the Hub", settings.ref().repoId()),
                            null, Map.of());
                }
            }

            /** What the hub client calls: the lifecycle's bytesArrived (DOWNLOADING), then the delegate's count. */
            @Override
            public void bytesReceived(long count) {
                bytesArrived();
                delegate.bytesReceived(count);
            }

            @Override
            public void retrying(String what, Duration delay) {
                progressed(Duration.ZERO);
                delegate.retrying(what, delay);
            }

            @Override
            public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
                progressed(Duration.ZERO);
                delegate.fileDone(file, bytes, took, downloaded);
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        retryNow();
        Thread w = worker;
        if (w != null && w != Thread.currentThread()) {
            try {
                w.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Serving last = serving.getAndSet(null);
        if (last != null) {
            last.embedder().close();
        }
        transition(s -> s.with(LifecycleState.STOPPED), Level.INFO,
                String.format("Model %s: stopped", settings.ref().repoId()), null, Map.of());
    }

    /**
     * Applies {@code change} to the status and, when the state changed, writes the one log line of that change:
     * {@code message} with the lifecycle's fields and {@code extra}. Several threads may try the same change (the
     * download listener runs on download threads); only the one that made it logs.
     */
    private void transition(UnaryOperator<LifecycleStatus> change, Level level, String message, Throwable thrown,
                            Map<String, String> extra) {
        LifecycleStatus[] before = new LifecycleStatus[1];
        LifecycleStatus after = status.updateAndGet(s -> {
            before[0] = s;
            return change.apply(s);
        });
        if (before[0].state() == after.state()) {
            return;
        }
        Map<String, String> fields = LogFields.of("model", settings.ref().repoId(), "model_state", after.state(),
                "model_previous_state", before[0].state(), "attempt_int", after.attempts(), "commit", after.commit());
        fields.putAll(extra);
        LogFields.log(LOG, level, message, thrown, fields);
        try {
            stateObserver.accept(after);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "A lifecycle state observer failed; the lifecycle goes on", e);
        }
    }
}
