package dev.speakerembedding.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.model.ModelPrecision;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceConfigTest {

    private static ServiceConfig config(Map<String, String> env) {
        return ServiceConfig.fromLookup(env::get);
    }

    @Test
    void cacheDirFollowsHuggingfaceHubsOrder() {
        String home = System.getProperty("user.home");
        assertEquals(Path.of("/srv/models"), config(Map.of("MODEL_CACHE_DIR", "/srv/models", "HF_HUB_CACHE", "/x",
                "HF_HOME", "/y")).cacheDir());
        assertEquals(Path.of("/x"), config(Map.of("HF_HUB_CACHE", "/x", "HF_HOME", "/y")).cacheDir());
        assertEquals(Path.of("/y/hub"), config(Map.of("HF_HOME", "/y")).cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), config(Map.of("XDG_CACHE_HOME", "/xdg")).cacheDir());
        assertEquals(Path.of(home, ".cache/huggingface/hub"), config(Map.of()).cacheDir());
        assertEquals(Path.of(home, "models"), config(Map.of("MODEL_CACHE_DIR", "~/models")).cacheDir());
        assertEquals(Path.of("/srv/models/.onnx"), config(Map.of("MODEL_CACHE_DIR", "/srv/models")).convertedModelDir());
    }

    @Test
    void dataDirFollowsTheXdgRuleAndNeverTheModelCache() {
        String home = System.getProperty("user.home");
        assertEquals(Path.of("/srv/data"), config(Map.of("DATA_DIR", "/srv/data", "XDG_DATA_HOME", "/x")).dataDir());
        assertEquals(Path.of("/x/speaker-embedding"), config(Map.of("XDG_DATA_HOME", "/x")).dataDir());
        assertEquals(Path.of(home, ".local/share/speaker-embedding"), config(Map.of()).dataDir());
        assertFalse(config(Map.of()).dataDir().startsWith(config(Map.of()).cacheDir()));
        assertEquals("h2 (embedded, file mode)", config(Map.of()).profileDatabaseKind());
        assertEquals("postgresql", config(Map.of("PROFILE_DB_URL",
                "jdbc:postgresql://db:5432/p?user=u&password=secret")).profileDatabaseKind());
        assertEquals(20.0, config(Map.of()).enrollmentMinSpeechSeconds());
        assertEquals(Duration.ofSeconds(5), config(Map.of()).profileDbRetry());
        assertEquals(Duration.ofMillis(1000), config(Map.of()).profileSyncInterval());
        assertEquals(Duration.ofMillis(250), config(Map.of("PROFILE_SYNC_INTERVAL_MS", "250")).profileSyncInterval());
        assertEquals(Duration.ofMillis(10), config(Map.of("PROFILE_SYNC_INTERVAL_MS", "0")).profileSyncInterval());
    }

    @Test
    void offlineAcceptsHuggingfaceHubsTrueValuesInAnyCase() {
        for (String v : new String[] {"1", "ON", "on", "YES", "yes", "TRUE", "True", " true "}) {
            assertTrue(config(Map.of("HF_HUB_OFFLINE", v)).offline(), v);
        }
        for (String v : new String[] {"0", "", "off", "false", "no", "2"}) {
            assertFalse(config(Map.of("HF_HUB_OFFLINE", v)).offline(), v);
        }
        assertFalse(config(Map.of()).offline());
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        ServiceConfig c = config(Map.of());
        assertEquals("speechbrain/spkrec-ecapa-voxceleb", c.modelId());
        assertEquals("main", c.revision());
        assertEquals(URI.create("https://huggingface.co"), c.endpoint());
        assertTrue(c.token().isEmpty());
        assertEquals(Duration.ofSeconds(10), c.connectTimeout());
        assertEquals(Duration.ofSeconds(30), c.readTimeout());
        assertEquals(5, c.downloadRetries());
        assertEquals(Duration.ofSeconds(5), c.retryInitialDelay());
        assertEquals(Duration.ofSeconds(300), c.retryMaxDelay());
        assertEquals(0.1, c.minAudioSeconds());
        assertTrue(c.minAudioSeconds() <= 0.25, "a 0.25 s clip is admitted by default");
        assertEquals(128L << 20, c.maxBufferedUploadBytes());
        assertEquals(32, c.maxQueuedRequests());
        assertEquals(Duration.ofSeconds(20), c.uploadTimeout());
        assertEquals(65536, c.uploadMinBytesPerSecond());
        assertFalse(c.httpAccessLog());
        assertTrue(config(Map.of("HTTP_ACCESS_LOG", "TRUE")).httpAccessLog());
        assertFalse(config(Map.of("HTTP_ACCESS_LOG", "1")).httpAccessLog(), "Liberty reads booleans as true/false");
    }

    @Test
    void theUploadBudgetAlwaysHoldsOneMaximalRequest() {
        ServiceConfig c = config(Map.of("MAX_REQUEST_BYTES", "1000000", "MAX_BUFFERED_UPLOAD_BYTES", "5"));
        assertEquals(1_000_000, c.maxBufferedUploadBytes());
    }

    @Test
    void endpointIsNormalisedAndValidated() {
        assertEquals(URI.create("https://hf-mirror.example"), config(Map.of("HF_ENDPOINT", "https://hf-mirror.example/")).endpoint());
        assertThrows(IllegalArgumentException.class, () -> config(Map.of("HF_ENDPOINT", "ftp://x")).endpoint());
        assertThrows(IllegalArgumentException.class, () -> config(Map.of("HF_ENDPOINT", "not a url")).endpoint());
    }

    @Test
    void malformedNumberNamesTheVariable() {
        var e = assertThrows(IllegalArgumentException.class, () -> config(Map.of("DOWNLOAD_RETRIES", "five")));
        assertTrue(e.getMessage().contains("DOWNLOAD_RETRIES"), e.getMessage());
    }

    @Test
    void modelPrecisionIsFloat32UnlessInt8IsAskedForAndAnythingElseIsRefusedByName() {
        assertEquals(ModelPrecision.FLOAT32, config(Map.of()).modelPrecision());
        assertEquals(ModelPrecision.FLOAT32, config(Map.of("MODEL_PRECISION", " ")).modelPrecision());
        assertEquals(ModelPrecision.INT8, config(Map.of("MODEL_PRECISION", "int8")).modelPrecision());
        assertEquals(ModelPrecision.INT8, config(Map.of("MODEL_PRECISION", " INT8 ")).modelPrecision());
        for (String bad : new String[]{"fp16", "fp32", "uint8", "int4"}) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> config(Map.of("MODEL_PRECISION", bad)).modelPrecision());
            assertTrue(e.getMessage().contains("MODEL_PRECISION") && e.getMessage().contains(bad)
                    && e.getMessage().contains("float32, int8"), e.getMessage());
        }
    }
}
