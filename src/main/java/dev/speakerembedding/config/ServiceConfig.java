package dev.speakerembedding.config;

import dev.speakerembedding.auth.JwtSettings;
import dev.speakerembedding.model.ModelPrecision;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every setting of the service, in one place. Each property is named after the environment variable that sets it
 * (MicroProfile Config reads the environment as a config source), with the default the README's table states.
 * The pre-download CLI builds the same object from the environment through {@link #fromLookup}, so both read the
 * same names and defaults.
 */
@ApplicationScoped
public class ServiceConfig {

    public static final String DEFAULT_MODEL = "speechbrain/spkrec-ecapa-voxceleb";
    public static final String DEFAULT_REVISION = "main";
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    public static final String DEFAULT_CONNECT_TIMEOUT_SECONDS = "10";
    public static final String DEFAULT_READ_TIMEOUT_SECONDS = "30";
    public static final String DEFAULT_RETRIES = "5";
    public static final String DEFAULT_RETRY_INITIAL_DELAY_SECONDS = "5";
    public static final String DEFAULT_RETRY_MAX_DELAY_SECONDS = "300";
    public static final String DEFAULT_PROGRESS_INTERVAL_SECONDS = "5";
    public static final String DEFAULT_WORKER_STALL_TIMEOUT_SECONDS = "1200";
    public static final String DEFAULT_INTRA_OP_THREADS = "0";
    public static final String DEFAULT_MODEL_PRECISION = "float32";
    public static final String DEFAULT_MAX_REQUEST_BYTES = "33554432";
    public static final String DEFAULT_MAX_AUDIO_SECONDS = "120";
    public static final String DEFAULT_MIN_AUDIO_SECONDS = "0.1";
    public static final String DEFAULT_MAX_BATCH_SIZE = "16";
    public static final String DEFAULT_VERIFY_THRESHOLD = "0.25";
    public static final String DEFAULT_MAX_CONCURRENT_INFERENCES = "0";
    public static final String DEFAULT_MAX_QUEUED_REQUESTS = "32";
    public static final String DEFAULT_QUEUE_TIMEOUT_MS = "10000";
    public static final String DEFAULT_MAX_BUFFERED_UPLOAD_BYTES = "134217728";
    public static final String DEFAULT_UPLOAD_TIMEOUT_MS = "20000";
    public static final String DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND = "65536";
    /** {@code EnrollmentPolicy.DEFAULT_MIN_SPEECH_SECONDS}; its javadoc says why 20 s. */
    public static final String DEFAULT_ENROLLMENT_MIN_SPEECH_SECONDS = "20";
    public static final String DEFAULT_PROFILE_DB_RETRY_SECONDS = "5";
    /**
     * A write on one replica is identified on the others within about this plus one poll: a second is as fresh as a
     * person re-trying an identification notices, and one indexed query a second per replica costs the database
     * next to nothing.
     */
    public static final String DEFAULT_PROFILE_SYNC_INTERVAL_MS = "1000";

    /** huggingface_hub's truthy spellings for HF_HUB_OFFLINE (constants.py `_is_true`). */
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    @Inject @ConfigProperty(name = "MODEL_CACHE_DIR")
    Optional<String> modelCacheDir;

    @Inject @ConfigProperty(name = "HF_HUB_CACHE")
    Optional<String> hfHubCache;

    @Inject @ConfigProperty(name = "HF_HOME")
    Optional<String> hfHome;

    @Inject @ConfigProperty(name = "XDG_CACHE_HOME")
    Optional<String> xdgCacheHome;

    @Inject @ConfigProperty(name = "HF_HUB_OFFLINE", defaultValue = "0")
    String hfHubOffline;

    @Inject @ConfigProperty(name = "HF_TOKEN")
    Optional<String> hfToken;

    @Inject @ConfigProperty(name = "HF_ENDPOINT", defaultValue = DEFAULT_ENDPOINT)
    String hfEndpoint;

    @Inject @ConfigProperty(name = "EMBEDDING_MODEL", defaultValue = DEFAULT_MODEL)
    String embeddingModel;

    @Inject @ConfigProperty(name = "MODEL_REVISION", defaultValue = DEFAULT_REVISION)
    String modelRevision;

    @Inject @ConfigProperty(name = "MODEL_FILE")
    Optional<String> modelFile = Optional.empty();

    @Inject @ConfigProperty(name = "MODEL_FAMILY")
    Optional<String> modelFamily = Optional.empty();

    @Inject @ConfigProperty(name = "MODEL_PRECISION", defaultValue = DEFAULT_MODEL_PRECISION)
    String modelPrecision = DEFAULT_MODEL_PRECISION;

    @Inject @ConfigProperty(name = "DOWNLOAD_CONNECT_TIMEOUT_SECONDS", defaultValue = DEFAULT_CONNECT_TIMEOUT_SECONDS)
    int downloadConnectTimeoutSeconds;

    @Inject @ConfigProperty(name = "DOWNLOAD_READ_TIMEOUT_SECONDS", defaultValue = DEFAULT_READ_TIMEOUT_SECONDS)
    int downloadReadTimeoutSeconds;

    @Inject @ConfigProperty(name = "DOWNLOAD_RETRIES", defaultValue = DEFAULT_RETRIES)
    int downloadRetries;

    @Inject @ConfigProperty(name = "DOWNLOAD_PROGRESS_INTERVAL_SECONDS", defaultValue = DEFAULT_PROGRESS_INTERVAL_SECONDS)
    int downloadProgressIntervalSeconds;

    @Inject @ConfigProperty(name = "MODEL_RETRY_INITIAL_DELAY_SECONDS", defaultValue = DEFAULT_RETRY_INITIAL_DELAY_SECONDS)
    int modelRetryInitialDelaySeconds;

    @Inject @ConfigProperty(name = "MODEL_RETRY_MAX_DELAY_SECONDS", defaultValue = DEFAULT_RETRY_MAX_DELAY_SECONDS)
    int modelRetryMaxDelaySeconds;

    @Inject @ConfigProperty(name = "MODEL_WORKER_STALL_TIMEOUT_SECONDS", defaultValue = DEFAULT_WORKER_STALL_TIMEOUT_SECONDS)
    int modelWorkerStallTimeoutSeconds;

    @Inject @ConfigProperty(name = "ONNX_INTRA_OP_THREADS", defaultValue = DEFAULT_INTRA_OP_THREADS)
    int onnxIntraOpThreads;

    @Inject @ConfigProperty(name = "MAX_REQUEST_BYTES", defaultValue = DEFAULT_MAX_REQUEST_BYTES)
    long maxRequestBytes;

    @Inject @ConfigProperty(name = "MAX_AUDIO_SECONDS", defaultValue = DEFAULT_MAX_AUDIO_SECONDS)
    double maxAudioSeconds;

    @Inject @ConfigProperty(name = "MIN_AUDIO_SECONDS", defaultValue = DEFAULT_MIN_AUDIO_SECONDS)
    double minAudioSeconds;

    @Inject @ConfigProperty(name = "MAX_BATCH_SIZE", defaultValue = DEFAULT_MAX_BATCH_SIZE)
    int maxBatchSize;

    @Inject @ConfigProperty(name = "VERIFY_THRESHOLD", defaultValue = DEFAULT_VERIFY_THRESHOLD)
    double verifyThreshold;

    @Inject @ConfigProperty(name = "MAX_CONCURRENT_INFERENCES", defaultValue = DEFAULT_MAX_CONCURRENT_INFERENCES)
    int maxConcurrentInferences;

    @Inject @ConfigProperty(name = "MAX_QUEUED_REQUESTS", defaultValue = DEFAULT_MAX_QUEUED_REQUESTS)
    int maxQueuedRequests;

    @Inject @ConfigProperty(name = "QUEUE_TIMEOUT_MS", defaultValue = DEFAULT_QUEUE_TIMEOUT_MS)
    int queueTimeoutMs;

    @Inject @ConfigProperty(name = "MAX_BUFFERED_UPLOAD_BYTES", defaultValue = DEFAULT_MAX_BUFFERED_UPLOAD_BYTES)
    long maxBufferedUploadBytes;

    @Inject @ConfigProperty(name = "UPLOAD_TIMEOUT_MS", defaultValue = DEFAULT_UPLOAD_TIMEOUT_MS)
    int uploadTimeoutMs;

    @Inject @ConfigProperty(name = "UPLOAD_MIN_BYTES_PER_SECOND", defaultValue = DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND)
    long uploadMinBytesPerSecond;

    @Inject @ConfigProperty(name = "DATA_DIR")
    Optional<String> dataDir;

    @Inject @ConfigProperty(name = "XDG_DATA_HOME")
    Optional<String> xdgDataHome;

    /**
     * Read by Liberty's dataSource (server.xml), as are PROFILE_DB_USER and PROFILE_DB_PASSWORD, which the application
     * never reads; declared here to say which database is in use (its scheme, never the URL, which may carry
     * credentials).
     */
    @Inject @ConfigProperty(name = "PROFILE_DB_URL")
    Optional<String> profileDbUrl;

    @Inject @ConfigProperty(name = "PROFILE_DB_RETRY_SECONDS", defaultValue = DEFAULT_PROFILE_DB_RETRY_SECONDS)
    int profileDbRetrySeconds;

    /**
     * Read by Liberty (server.xml's httpAccessLogging, a boolean: {@code true} or {@code false}); declared here so that
     * every variable the service reads is in this class (README "Logs").
     */
    @Inject @ConfigProperty(name = "HTTP_ACCESS_LOG", defaultValue = "false")
    String httpAccessLog = "false";

    /*
     * MicroProfile JWT's standard settings, by their standard names (environment: MP_JWT_VERIFY_ISSUER,
     * MP_JWT_VERIFY_PUBLICKEY, MP_JWT_VERIFY_PUBLICKEY_LOCATION, MP_JWT_VERIFY_AUDIENCES,
     * MP_JWT_VERIFY_PUBLICKEY_ALGORITHM, MP_JWT_VERIFY_CLOCK_SKEW). Any of the first three set turns JWT
     * authorization of the profile endpoints on (README "Speaker profiles", Security).
     */
    @Inject @ConfigProperty(name = "mp.jwt.verify.issuer")
    Optional<String> jwtIssuer = Optional.empty();

    @Inject @ConfigProperty(name = "mp.jwt.verify.publickey")
    Optional<String> jwtPublicKey = Optional.empty();

    @Inject @ConfigProperty(name = "mp.jwt.verify.publickey.location")
    Optional<String> jwtPublicKeyLocation = Optional.empty();

    @Inject @ConfigProperty(name = "mp.jwt.verify.audiences")
    Optional<String> jwtAudiences = Optional.empty();

    @Inject @ConfigProperty(name = "mp.jwt.verify.publickey.algorithm")
    Optional<String> jwtAlgorithm = Optional.empty();

    @Inject @ConfigProperty(name = "mp.jwt.verify.clock.skew")
    Optional<String> jwtClockSkewSeconds = Optional.empty();


    @Inject @ConfigProperty(name = "PROFILE_SYNC_INTERVAL_MS", defaultValue = DEFAULT_PROFILE_SYNC_INTERVAL_MS)
    int profileSyncIntervalMs;

    @Inject @ConfigProperty(name = "ENROLLMENT_MIN_SPEECH_SECONDS", defaultValue = DEFAULT_ENROLLMENT_MIN_SPEECH_SECONDS)
    double enrollmentMinSpeechSeconds;

    /** For CDI. */
    public ServiceConfig() {
    }

    /**
     * The same settings read through {@code lookup} (for example {@code System::getenv}), with the same names and
     * defaults as the injected ones: used where no MicroProfile Config runtime exists (the pre-download CLI).
     */
    public static ServiceConfig fromLookup(Function<String, String> lookup) {
        Function<String, Optional<String>> get = name -> Optional.ofNullable(lookup.apply(name)).filter(v -> !v.isBlank());
        ServiceConfig c = new ServiceConfig();
        c.modelCacheDir = get.apply("MODEL_CACHE_DIR");
        c.hfHubCache = get.apply("HF_HUB_CACHE");
        c.hfHome = get.apply("HF_HOME");
        c.xdgCacheHome = get.apply("XDG_CACHE_HOME");
        c.hfHubOffline = get.apply("HF_HUB_OFFLINE").orElse("0");
        c.hfToken = get.apply("HF_TOKEN");
        c.hfEndpoint = get.apply("HF_ENDPOINT").orElse(DEFAULT_ENDPOINT);
        c.embeddingModel = get.apply("EMBEDDING_MODEL").orElse(DEFAULT_MODEL);
        c.modelRevision = get.apply("MODEL_REVISION").orElse(DEFAULT_REVISION);
        c.modelFile = get.apply("MODEL_FILE");
        c.modelFamily = get.apply("MODEL_FAMILY");
        c.modelPrecision = get.apply("MODEL_PRECISION").orElse(DEFAULT_MODEL_PRECISION);
        c.downloadConnectTimeoutSeconds = intSetting(get, "DOWNLOAD_CONNECT_TIMEOUT_SECONDS", DEFAULT_CONNECT_TIMEOUT_SECONDS);
        c.downloadReadTimeoutSeconds = intSetting(get, "DOWNLOAD_READ_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT_SECONDS);
        c.downloadRetries = intSetting(get, "DOWNLOAD_RETRIES", DEFAULT_RETRIES);
        c.downloadProgressIntervalSeconds = intSetting(get, "DOWNLOAD_PROGRESS_INTERVAL_SECONDS", DEFAULT_PROGRESS_INTERVAL_SECONDS);
        c.modelRetryInitialDelaySeconds = intSetting(get, "MODEL_RETRY_INITIAL_DELAY_SECONDS", DEFAULT_RETRY_INITIAL_DELAY_SECONDS);
        c.modelRetryMaxDelaySeconds = intSetting(get, "MODEL_RETRY_MAX_DELAY_SECONDS", DEFAULT_RETRY_MAX_DELAY_SECONDS);
        c.modelWorkerStallTimeoutSeconds = intSetting(get, "MODEL_WORKER_STALL_TIMEOUT_SECONDS",
                DEFAULT_WORKER_STALL_TIMEOUT_SECONDS);
        c.onnxIntraOpThreads = intSetting(get, "ONNX_INTRA_OP_THREADS", DEFAULT_INTRA_OP_THREADS);
        c.maxRequestBytes = Long.parseLong(get.apply("MAX_REQUEST_BYTES").orElse(DEFAULT_MAX_REQUEST_BYTES).trim());
        c.maxAudioSeconds = Double.parseDouble(get.apply("MAX_AUDIO_SECONDS").orElse(DEFAULT_MAX_AUDIO_SECONDS).trim());
        c.minAudioSeconds = Double.parseDouble(get.apply("MIN_AUDIO_SECONDS").orElse(DEFAULT_MIN_AUDIO_SECONDS).trim());
        c.maxBatchSize = intSetting(get, "MAX_BATCH_SIZE", DEFAULT_MAX_BATCH_SIZE);
        c.verifyThreshold = Double.parseDouble(get.apply("VERIFY_THRESHOLD").orElse(DEFAULT_VERIFY_THRESHOLD).trim());
        c.maxConcurrentInferences = intSetting(get, "MAX_CONCURRENT_INFERENCES", DEFAULT_MAX_CONCURRENT_INFERENCES);
        c.maxQueuedRequests = intSetting(get, "MAX_QUEUED_REQUESTS", DEFAULT_MAX_QUEUED_REQUESTS);
        c.queueTimeoutMs = intSetting(get, "QUEUE_TIMEOUT_MS", DEFAULT_QUEUE_TIMEOUT_MS);
        c.maxBufferedUploadBytes = Long.parseLong(get.apply("MAX_BUFFERED_UPLOAD_BYTES")
                .orElse(DEFAULT_MAX_BUFFERED_UPLOAD_BYTES).trim());
        c.uploadTimeoutMs = intSetting(get, "UPLOAD_TIMEOUT_MS", DEFAULT_UPLOAD_TIMEOUT_MS);
        c.uploadMinBytesPerSecond = Long.parseLong(get.apply("UPLOAD_MIN_BYTES_PER_SECOND")
                .orElse(DEFAULT_UPLOAD_MIN_BYTES_PER_SECOND).trim());
        c.dataDir = get.apply("DATA_DIR");
        c.xdgDataHome = get.apply("XDG_DATA_HOME");
        c.profileDbUrl = get.apply("PROFILE_DB_URL");
        c.httpAccessLog = get.apply("HTTP_ACCESS_LOG").orElse("false");
        c.jwtIssuer = get.apply("MP_JWT_VERIFY_ISSUER");
        c.jwtPublicKey = get.apply("MP_JWT_VERIFY_PUBLICKEY");
        c.jwtPublicKeyLocation = get.apply("MP_JWT_VERIFY_PUBLICKEY_LOCATION");
        c.jwtAudiences = get.apply("MP_JWT_VERIFY_AUDIENCES");
        c.jwtAlgorithm = get.apply("MP_JWT_VERIFY_PUBLICKEY_ALGORITHM");
        c.jwtClockSkewSeconds = get.apply("MP_JWT_VERIFY_CLOCK_SKEW");
        c.profileDbRetrySeconds = intSetting(get, "PROFILE_DB_RETRY_SECONDS", DEFAULT_PROFILE_DB_RETRY_SECONDS);
        c.profileSyncIntervalMs = intSetting(get, "PROFILE_SYNC_INTERVAL_MS", DEFAULT_PROFILE_SYNC_INTERVAL_MS);
        c.enrollmentMinSpeechSeconds = Double.parseDouble(get.apply("ENROLLMENT_MIN_SPEECH_SECONDS")
                .orElse(DEFAULT_ENROLLMENT_MIN_SPEECH_SECONDS).trim());
        return c;
    }

    public static ServiceConfig fromEnvironment() {
        Map<String, String> env = System.getenv();
        return fromLookup(env::get);
    }

    private static int intSetting(Function<String, Optional<String>> get, String name, String defaultValue) {
        String value = get.apply(name).orElse(defaultValue).trim();
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", e);
        }
    }

    /**
     * MODEL_CACHE_DIR, else HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
     * ~/.cache/huggingface/hub: the order huggingface_hub uses, so a model it downloaded is reused as is.
     */
    public Path cacheDir() {
        if (modelCacheDir.isPresent()) {
            return expandHome(modelCacheDir.get());
        }
        if (hfHubCache.isPresent()) {
            return expandHome(hfHubCache.get());
        }
        Path home = hfHome.map(ServiceConfig::expandHome)
                .orElseGet(() -> xdgCacheHome.map(ServiceConfig::expandHome)
                        .orElseGet(() -> Path.of(System.getProperty("user.home"), ".cache"))
                        .resolve("huggingface"));
        return home.resolve("hub");
    }

    private static Path expandHome(String path) {
        String p = path.trim();
        if (p.equals("~") || p.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + p.substring(1)).toAbsolutePath().normalize();
        }
        return Path.of(p).toAbsolutePath().normalize();
    }

    /** True for the values huggingface_hub accepts: 1, ON, YES, TRUE in any case. */
    public boolean offline() {
        return isTrue(hfHubOffline);
    }

    public static boolean isTrue(String value) {
        return value != null && TRUE_VALUES.contains(value.trim().toUpperCase(Locale.ROOT));
    }

    /** Never logged or returned: callers wrap it at once in the hub's {@code Secret}. */
    public Optional<String> token() {
        return hfToken;
    }

    public URI endpoint() {
        String e = hfEndpoint.trim();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        URI uri = URI.create(e);
        if (uri.getScheme() == null || uri.getHost() == null
                || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))) {
            throw new IllegalArgumentException("HF_ENDPOINT must be an http(s) URL such as " + DEFAULT_ENDPOINT + ", got '" + e + "'");
        }
        return uri;
    }

    public String modelId() {
        return embeddingModel.trim();
    }

    public String revision() {
        return modelRevision.trim();
    }

    /** MODEL_FILE: the .onnx file of the repository to serve when it holds several (blank means unset). */
    public Optional<String> modelFile() {
        return modelFile.map(String::trim).filter(v -> !v.isEmpty());
    }

    /** MODEL_FAMILY: wespeaker, 3d-speaker or nemo for an ONNX file without sherpa-onnx metadata (blank: unset). */
    public Optional<String> modelFamily() {
        return modelFamily.map(String::trim).filter(v -> !v.isEmpty());
    }

    /**
     * MODEL_PRECISION: float32 (speechbrain's numbers) or int8 (a quantised conversion of a speechbrain checkpoint).
     *
     * @throws IllegalArgumentException naming the variable and the accepted values for anything else
     */
    public ModelPrecision modelPrecision() {
        try {
            return ModelPrecision.fromConfigValue(modelPrecision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("MODEL_PRECISION: " + e.getMessage(), e);
        }
    }

    public Duration connectTimeout() {
        return Duration.ofSeconds(Math.max(1, downloadConnectTimeoutSeconds));
    }

    public Duration readTimeout() {
        return Duration.ofSeconds(Math.max(1, downloadReadTimeoutSeconds));
    }

    public int downloadRetries() {
        return Math.max(0, downloadRetries);
    }

    public Duration progressInterval() {
        return Duration.ofSeconds(Math.max(1, downloadProgressIntervalSeconds));
    }

    public Duration retryInitialDelay() {
        return Duration.ofSeconds(Math.max(1, modelRetryInitialDelaySeconds));
    }

    public Duration retryMaxDelay() {
        return Duration.ofSeconds(Math.max(modelRetryInitialDelaySeconds, modelRetryMaxDelaySeconds));
    }

    /**
     * Longest time a model load attempt may go without progress (a state change, downloaded bytes) before liveness
     * reports the worker as wedged; at least 10 s. The default stays above the 10 minutes a replica may wait for
     * another one's lock on a shared cache (a blob download, a conversion), which reports no progress.
     */
    public Duration workerStallTimeout() {
        return Duration.ofSeconds(Math.max(10, modelWorkerStallTimeoutSeconds));
    }

    /** Threads per inference; 0 = automatic (available processors divided by {@link #maxConcurrentInferences()}). */
    public int onnxIntraOpThreads() {
        return Math.max(0, onnxIntraOpThreads);
    }

    /** Where converted ONNX graphs are cached, beside huggingface_hub's own folders (which it ignores). */
    public Path convertedModelDir() {
        return cacheDir().resolve(".onnx");
    }

    /** Largest request body accepted, counted while reading. */
    public long maxRequestBytes() {
        return Math.max(1024, maxRequestBytes);
    }

    public double maxAudioSeconds() {
        return maxAudioSeconds;
    }

    public double minAudioSeconds() {
        return minAudioSeconds;
    }

    /** Most audio files one request may carry (multipart parts of a batch). */
    public int maxBatchSize() {
        return Math.max(1, maxBatchSize);
    }

    /** Cosine score above which two utterances count as the same speaker (speechbrain's verify_batch default). */
    public double verifyThreshold() {
        return verifyThreshold;
    }

    /**
     * Requests computing embeddings at once; 0 means one per available processor, since each request's decoding
     * and features run on its own thread while ONNX Runtime's intra-op pool is shared by all of them.
     */
    public int maxConcurrentInferences() {
        return maxConcurrentInferences > 0 ? maxConcurrentInferences : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Requests admitted beyond the inference slots (waiting for a slot, their body read); while all places are
     * taken, new requests are refused at once, before their body is read.
     */
    public int maxQueuedRequests() {
        return Math.max(0, maxQueuedRequests);
    }

    /** Longest wait for an inference slot before a queued request is refused. */
    public Duration queueTimeout() {
        return Duration.ofMillis(Math.max(0, queueTimeoutMs));
    }

    /**
     * Request bytes held in memory at once, all uploads in progress together (never less than one maximal request):
     * what bounds the heap spent on uploads, since an upload holds no admission place while it arrives.
     */
    public long maxBufferedUploadBytes() {
        return Math.max(maxRequestBytes(), maxBufferedUploadBytes);
    }

    /**
     * Time a request body may take to arrive, before the allowance earned by its bytes (see
     * {@link #uploadMinBytesPerSecond()}); past it the upload is cut off with 408.
     */
    public Duration uploadTimeout() {
        return Duration.ofMillis(Math.max(1, uploadTimeoutMs));
    }

    /** Each this many bytes received extend the upload's time by one second (Apache's mod_reqtimeout MinRate). */
    public long uploadMinBytesPerSecond() {
        return Math.max(1, uploadMinBytesPerSecond);
    }

    /**
     * Where the embedded profile database lives: DATA_DIR, else $XDG_DATA_HOME/speaker-embedding, else
     * ~/.local/share/speaker-embedding (the XDG base directory rule for data a program keeps). Liberty's server.env
     * applies the same rule before the server starts, since the dataSource's URL needs it then.
     */
    public Path dataDir() {
        if (dataDir.isPresent()) {
            return expandHome(dataDir.get());
        }
        return xdgDataHome.map(ServiceConfig::expandHome)
                .orElseGet(() -> Path.of(System.getProperty("user.home"), ".local", "share"))
                .resolve("speaker-embedding");
    }

    /** Which database holds the profiles, for logs and status: "h2 (embedded)" or the URL's scheme, never the URL. */
    /** Whether Liberty writes the HTTP access log: its own reading of a boolean, {@code true} in any case. */
    public boolean httpAccessLog() {
        return httpAccessLog.trim().equalsIgnoreCase("true");
    }

    public String profileDatabaseKind() {
        if (profileDbUrl.isEmpty()) {
            return "h2 (embedded, file mode)";
        }
        String url = profileDbUrl.get().trim();
        String[] parts = url.split(":", 3);
        return parts.length >= 2 && parts[0].equals("jdbc") && parts[1].matches("[a-z0-9]{1,20}") ? parts[1]
                : "(unrecognised PROFILE_DB_URL)";
    }

    /** How bearer JWTs are verified; {@link JwtSettings#configured()} says whether they are required at all. */
    public JwtSettings jwtSettings() {
        Set<String> audiences = new java.util.TreeSet<>();
        nonBlank(jwtAudiences).ifPresent(list -> {
            for (String a : list.split(",")) {
                if (!a.isBlank()) {
                    audiences.add(a.trim());
                }
            }
        });
        Duration skew = nonBlank(jwtClockSkewSeconds).map(v -> Duration.ofSeconds(Long.parseLong(v.trim())))
                .orElse(JwtSettings.DEFAULT_CLOCK_SKEW);
        return new JwtSettings(nonBlank(jwtIssuer).map(String::trim), nonBlank(jwtPublicKey),
                nonBlank(jwtPublicKeyLocation).map(String::trim), Set.copyOf(audiences),
                nonBlank(jwtAlgorithm).orElse(JwtSettings.DEFAULT_ALGORITHM), skew);
    }

    private static Optional<String> nonBlank(Optional<String> value) {
        return value == null ? Optional.empty() : value.filter(v -> !v.isBlank());
    }

    /** Wait between attempts to reach the profile database (at start, and after it was lost). */
    public Duration profileDbRetry() {
        return Duration.ofSeconds(Math.max(1, profileDbRetrySeconds));
    }

    /**
     * How often the index polls the profile database's change log for other replicas' writes; at least 10 ms, so a
     * zero or negative value cannot turn the poll into a busy loop.
     */
    public Duration profileSyncInterval() {
        return Duration.ofMillis(Math.max(10, profileSyncIntervalMs));
    }

    /** Speech needed in total before a profile is enrolled (EnrollmentPolicy). */
    public double enrollmentMinSpeechSeconds() {
        return enrollmentMinSpeechSeconds;
    }
}
