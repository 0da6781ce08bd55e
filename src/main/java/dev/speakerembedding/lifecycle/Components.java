package dev.speakerembedding.lifecycle;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoFiles;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.model.ModelFormat;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.speechbrain.SpeechbrainEcapa;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Builds the plain-Java core from the configuration, the same way for the server and for the pre-download CLI,
 * so both fetch, verify and convert identically.
 */
public final class Components {

    private static final Logger LOG = Logger.getLogger(Components.class.getName());

    /** The default family's format: speechbrain ECAPA-TDNN repositories (EMBEDDING_MODEL's default). */
    public static final ModelFormat FORMAT = SpeechbrainEcapa.FORMAT;

    /** The files the hub fetches and verifies for {@link #FORMAT}: the format hands the hub its file list. */
    public static final RepoFiles REPO_FILES = repoFiles(FORMAT);

    private Components() {
    }

    public static RepoRef repoRef(ServiceConfig config) throws HubException {
        return RepoRef.of(config.modelId(), config.revision());
    }

    public static HubSettings hubSettings(ServiceConfig config) {
        return new HubSettings(config.endpoint(), config.token().map(Secret::of).orElse(Secret.none()),
                config.connectTimeout(), config.readTimeout(), config.downloadRetries(), config.progressInterval());
    }

    public static HubCache cache(ServiceConfig config) {
        return new HubCache(config.cacheDir());
    }

    /** Offline, no client exists at all: the fetcher cannot make a request even by mistake. */
    public static HubClient client(ServiceConfig config) {
        return client(config, DownloadListener.none());
    }

    /** As {@link #client(ServiceConfig)}, every retry told to {@code events}. */
    public static HubClient client(ServiceConfig config, DownloadListener events) {
        return config.offline() ? null : new HubClient(hubSettings(config), events);
    }

    /**
     * ONNX_INTRA_OP_THREADS when set (a fixed count, one session), else adaptive: a lone request on every core, down
     * to the cores divided among MAX_CONCURRENT_INFERENCES as requests overlap ({@link ModelRuntimeOptions#forService}).
     */
    public static ModelRuntimeOptions runtimeOptions(ServiceConfig config) {
        int configured = config.onnxIntraOpThreads();
        return configured > 0 ? ModelRuntimeOptions.defaults().withIntraOpThreads(configured)
                : ModelRuntimeOptions.forService(Runtime.getRuntime().availableProcessors(),
                        config.maxConcurrentInferences());
    }

    /** The files the hub fetches and verifies for a family: the family hands the hub its file list. */
    public static RepoFiles repoFiles(ModelFormat format) {
        return new RepoFiles(format.requiredFiles(), format.optionalFiles());
    }

    /**
     * How the family is found: named by MODEL_FILE, else from the repository's file list (see {@link ModelSelection}).
     *
     * @throws IllegalArgumentException when MODEL_FILE or MODEL_FAMILY is invalid or they contradict each other
     */
    public static ModelSelection selection(ServiceConfig config) throws HubException {
        return new ModelSelection(repoRef(config), config.modelFile(), config.modelFamily(), config.offline());
    }

    /** @throws IllegalArgumentException when MODEL_FILE or MODEL_FAMILY is invalid */
    public static ModelManager modelManager(ServiceConfig config) throws HubException {
        return modelManager(config, DownloadListener.none());
    }

    /**
     * As {@link #modelManager(ServiceConfig)}, the download's events (bytes, retries) also told to {@code observer}.
     *
     * @throws IllegalArgumentException when MODEL_FILE, MODEL_FAMILY or MODEL_PRECISION is invalid
     */
    public static ModelManager modelManager(ServiceConfig config, DownloadListener observer) throws HubException {
        ModelSelection selection = selection(config);
        // Read now so that a bad MODEL_PRECISION is a configuration error at start, not a failed load later.
        config.modelPrecision();
        ModelManager.Settings settings = new ModelManager.Settings(repoRef(config), selection.initialFiles(),
                config.offline(), config.retryInitialDelay(), config.retryMaxDelay(), config.workerStallTimeout());
        HubCache cache = cache(config);
        HubClient client = client(config, observer);
        ModelRuntimeOptions runtime = runtimeOptions(config);
        return ModelManager.acquiring(settings, cache, listener -> new ModelFetcher(cache, client, listener),
                fetcher -> {
                    ModelSelection.Selected selected = selection.acquire(fetcher);
                    return new ModelManager.Acquired(selected.files(), selected.snapshot(),
                            snapshot -> new SpeakerEmbedder(loadModel(selected.family(), snapshot, config, runtime)));
                }, observer);
    }

    /**
     * Loads the model, converting it into {@code MODEL_CACHE_DIR/.onnx} unless a complete conversion is there. When
     * the cache volume is read-only and holds no conversion (a model pre-downloaded by huggingface_hub and mounted
     * read-only, say), the graph is converted into a directory under {@code java.io.tmpdir} instead, so a complete
     * read-only cache still serves.
     */
    public static SpeakerModel loadModel(ModelFamily family, CachedSnapshot snapshot, ServiceConfig config,
                                         ModelRuntimeOptions runtime) throws ModelFormatException {
        List<SourceFile> files = sourceFiles(snapshot);
        try {
            return afterConversion(family.load(snapshot.snapshotDir(), files,
                    new ModelLoadSettings(config.convertedModelDir(), runtime, config.modelPrecision())));
        } catch (ModelFormatException e) {
            if (!(e.getCause() instanceof IOException) || Files.isWritable(config.cacheDir())) {
                throw e;
            }
            Path fallback = Path.of(System.getProperty("java.io.tmpdir"), "speaker-embedding-onnx");
            LOG.log(Level.WARNING, "The model cache {0} is read-only and holds no converted graph of this model; converting"
                    + " it into {1} instead ({2})", new Object[] {config.cacheDir(), fallback, e.getMessage()});
            return afterConversion(family.load(snapshot.snapshotDir(), files, new ModelLoadSettings(fallback,
                    runtime, config.modelPrecision())));
        }
    }

    /**
     * The snapshot's files as its verification read them, for the model to report (GET /v1/model) without reading
     * them again.
     *
     * @throws IllegalStateException when the snapshot was not verified (the fetcher verifies every one it returns)
     */
    public static List<SourceFile> sourceFiles(CachedSnapshot snapshot) {
        return snapshot.verifiedFiles().stream()
                .map(file -> new SourceFile(file.name(), file.sizeBytes(), file.sha256())).toList();
    }

    /**
     * A conversion reads the whole checkpoint and builds the graph on the heap (several hundred MB for the full
     * model), which the JVM would keep committed afterwards; the (rare) conversion is followed by a collection that
     * gives that memory back before any request is served (README "Benchmarks" has the resident memory with and
     * without it).
     */
    private static SpeakerModel afterConversion(SpeakerModel model) {
        if (model.conversion().map(ConversionInfo::convertedNow).orElse(false)) {
            HeapRelease.forThisJvm().release();
        }
        return model;
    }
}
