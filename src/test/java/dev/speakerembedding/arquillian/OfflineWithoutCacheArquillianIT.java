package dev.speakerembedding.arquillian;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.config.ServiceConfig;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed's "offline and not cached" case against a real Open Liberty server that Arquillian's managed container
 * starts (server {@code arquillianServer}, see src/test/resources/arquillian.xml): the application answers at once,
 * reports why no model is loaded and how to fix it, keeps readiness DOWN and liveness/startup UP, and refuses
 * embeddings with 503 model_not_ready and a Retry-After.
 *
 * <p>The server runs with {@code HF_HUB_OFFLINE=1}, {@code MODEL_CACHE_DIR} pointing at an empty directory and
 * {@code MODEL_RETRY_INITIAL_DELAY_SECONDS=1}, as system properties MicroProfile Config reads.
 */
@ExtendWith(ArquillianExtension.class)
class OfflineWithoutCacheArquillianIT {

    /** Not speaker-embedding.war: the archive name must not clash with the application's own deployment. */
    private static final String ARCHIVE_NAME = "offline-without-cache-it.war";

    private static final String SEED_MESSAGE = "Model not cached and offline mode is enabled";

    /** The states of "offline, not cached": waiting for the next attempt, or in an attempt's cache check. */
    private static final Set<String> RETRY_CYCLE_STATES = Set.of("WAITING_TO_RETRY", "CHECKING_CACHE");

    private static final Duration FIRST_ATTEMPT_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @ArquillianResource
    private URL base;

    /** Must be the MODEL_CACHE_DIR given in arquillian.xml's javaVmArguments. */
    static Path emptyCacheDir() {
        String root = System.getProperty("project.root", ".");
        return Path.of(root, "target", "arquillian-empty-cache").toAbsolutePath().normalize();
    }

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        // Runs before the archive is deployed, so the application finds the cache directory empty.
        resetEmptyCacheDir();

        // The war `mvn package` built, exactly what a deployment gets, under another archive name.
        Path built = Path.of(System.getProperty("project.root", "."), "target", "speaker-embedding.war");
        if (!Files.isRegularFile(built)) {
            throw new IllegalStateException("No packaged application at " + built + ": run through `mvn verify`");
        }
        return ShrinkWrap.create(WebArchive.class, ARCHIVE_NAME)
                .merge(ShrinkWrap.createFromZipFile(WebArchive.class, built.toFile()));
    }

    private static void resetEmptyCacheDir() throws IOException {
        Path dir = emptyCacheDir();
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
        Files.createDirectories(dir);
    }

    /**
     * The model worker runs on its own thread: wait until its first attempt has failed (it has a last error), so
     * every test sees the settled "offline, not cached" picture rather than STARTING.
     */
    @BeforeEach
    void awaitFirstFailedAttempt() throws Exception {
        long deadline = System.nanoTime() + FIRST_ATTEMPT_TIMEOUT.toNanos();
        JsonObject last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(app("v1/status"));
            if (r.statusCode() == 200) {
                last = json(r.body());
                if (last.containsKey("error") && !last.isNull("error")) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        fail("No failed model attempt reported within " + FIRST_ATTEMPT_TIMEOUT + "; last status: " + last);
    }

    @Test
    void statusReportsOfflineCacheMissWithRemedy() throws Exception {
        HttpResponse<String> r = get(app("v1/status"));

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(contentType(r).startsWith("application/json"), contentType(r));
        JsonObject status = json(r.body());
        assertFalse(status.getBoolean("model_loaded"), r.body());
        assertFalse(status.getBoolean("model_cached"), r.body());
        assertTrue(status.getBoolean("offline_mode"), r.body());
        assertEquals("cpu", status.getString("device"), r.body());
        assertEquals(emptyCacheDir().toString(), status.getString("cache_dir"), r.body());
        assertEquals(ServiceConfig.DEFAULT_MODEL, status.getString("model_name"), r.body());
        // Between two attempts the worker waits (WAITING_TO_RETRY, "unhealthy"); a request can also land during
        // an attempt's cache check (CHECKING_CACHE, "loading"), which keeps the last error.
        String state = status.getString("state");
        assertTrue(RETRY_CYCLE_STATES.contains(state), r.body());
        assertEquals(state.equals("CHECKING_CACHE") ? "loading" : "unhealthy", status.getString("status"), r.body());
        assertTrue(status.getString("error").contains(SEED_MESSAGE), r.body());
    }

    @Test
    void readinessIsDownWithTheReason() throws Exception {
        HttpResponse<String> r = get(server("health/ready"));

        assertEquals(503, r.statusCode(), r.body());
        JsonObject health = json(r.body());
        assertEquals("DOWN", health.getString("status"), r.body());
        JsonObject check = check(health, "model-readiness");
        assertEquals("DOWN", check.getString("status"), r.body());
        JsonObject data = check.getJsonObject("data");
        assertNotNull(data, r.body());
        assertEquals(JsonValue.FALSE, data.get("model_loaded"), r.body());
        assertEquals(JsonValue.FALSE, data.get("model_cached"), r.body());
        assertEquals(JsonValue.TRUE, data.get("offline_mode"), r.body());
        assertEquals("cpu", data.getString("device"), r.body());
        assertEquals(emptyCacheDir().toString(), data.getString("cache_dir"), r.body());
        assertTrue(RETRY_CYCLE_STATES.contains(data.getString("state")), r.body());
        assertTrue(data.getString("last_error").contains(SEED_MESSAGE), r.body());
    }

    @Test
    void livenessIsUpWhileWaitingForTheCache() throws Exception {
        HttpResponse<String> r = get(server("health/live"));

        assertEquals(200, r.statusCode(), r.body());
        JsonObject health = json(r.body());
        assertEquals("UP", health.getString("status"), r.body());
        assertEquals("UP", check(health, "model-liveness").getString("status"), r.body());
    }

    @Test
    void startupIsUpWithoutAModel() throws Exception {
        HttpResponse<String> r = get(server("health/started"));

        assertEquals(200, r.statusCode(), r.body());
        JsonObject health = json(r.body());
        assertEquals("UP", health.getString("status"), r.body());
        assertEquals("UP", check(health, "model-startup").getString("status"), r.body());
    }

    @Test
    void embeddingsAreRefusedWithRetryAfter() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(app("v1/embeddings"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofByteArray(sineWav(16_000, 1.0, 440.0)))
                .build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());

        assertEquals(503, r.statusCode(), r.body());
        assertTrue(contentType(r).startsWith("application/problem+json"), contentType(r));
        JsonObject problem = json(r.body());
        assertEquals("model_not_ready", problem.getString("code"), r.body());
        assertEquals(503, problem.getInt("status"), r.body());
        assertTrue(problem.getString("detail").contains(SEED_MESSAGE), r.body());
        String retryAfter = r.headers().firstValue("Retry-After").orElse(null);
        assertNotNull(retryAfter, "Retry-After header missing: " + r.headers().map());
        assertTrue(Integer.parseInt(retryAfter.trim()) >= 1, "Retry-After: " + retryAfter);
    }

    // ---- helpers ----

    /**
     * A path in the application. Its context root is "/" (ibm-web-ext.xml), whatever the archive is called; the
     * container reports it as the base URL's path.
     */
    private URI app(String path) {
        String contextRoot = base.getPath().replaceAll("/+$", "");
        return URI.create(base.getProtocol() + "://" + base.getHost() + ":" + base.getPort() + contextRoot + "/" + path);
    }

    /** A server-level path (mpHealth's /health/*), independent of the application's context root. */
    private URI server(String path) {
        return URI.create(base.getProtocol() + "://" + base.getHost() + ":" + base.getPort() + "/" + path);
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String contentType(HttpResponse<?> r) {
        return r.headers().firstValue("Content-Type").orElse("");
    }

    private static JsonObject json(String body) {
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            return reader.readObject();
        }
    }

    private static JsonObject check(JsonObject health, String name) {
        return health.getJsonArray("checks").stream()
                .map(JsonValue::asJsonObject)
                .filter(c -> name.equals(c.getString("name", null)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("No health check named " + name + " in " + health));
    }

    /** A mono 16-bit PCM WAV file holding a sine tone: valid audio, long enough for the service's limits. */
    static byte[] sineWav(int sampleRate, double seconds, double frequency) {
        int samples = (int) Math.round(sampleRate * seconds);
        int dataBytes = samples * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(US_ASCII)).putInt(36 + dataBytes)
                .put("WAVE".getBytes(US_ASCII));
        b.put("fmt ".getBytes(US_ASCII)).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(sampleRate).putInt(sampleRate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(US_ASCII)).putInt(dataBytes);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) Math.round(0.5 * Short.MAX_VALUE * Math.sin(2 * Math.PI * frequency * i / sampleRate)));
        }
        return b.array();
    }
}
