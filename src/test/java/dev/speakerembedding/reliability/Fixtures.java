package dev.speakerembedding.reliability;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoFiles;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.SharedConformance;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What the reliability tests share: the two models (the small conformance model in the repository, the full-size
 * checkpoint outside it), server environments, JSON helpers and polling.
 */
final class Fixtures {

    static final String SMALL_REPO = "conformance/ecapa-small";
    static final String FULL_REPO = "speechbrain/spkrec-ecapa-voxceleb";
    static final RepoFiles FORMAT = Components.REPO_FILES;
    static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    private Fixtures() {
    }

    /** A model served by the Hub stand-in under a repository id. */
    record Model(String repoId, Path dir) {
        String cacheFolder() {
            return "models--" + repoId.replace("/", "--");
        }

        boolean isFull() {
            return repoId.equals(FULL_REPO);
        }
    }

    static Model smallModel() {
        return new Model(SMALL_REPO, Npy.conformanceDir().resolve("small"));
    }

    /**
     * The 83 MB speechbrain checkpoint, kept in ../shared (never copied into the repository). The calling test is
     * skipped in a clone without ../shared, and fails when ../shared is present without the complete checkpoint.
     */
    static Model fullModel() {
        return new Model(FULL_REPO, SharedConformance.require("full"));
    }

    /**
     * The full model when ../shared is present (failing when it is incomplete), else the small one: for tests
     * about the cache rather than the numbers, which run everywhere.
     */
    static Model largestModel() {
        return SharedConformance.present() ? fullModel() : smallModel();
    }

    static String serve(HubStandIn hub, Model model) throws IOException {
        return hub.addRepo(model.repoId(), null, model.dir(), false);
    }

    /** A server using {@code endpoint} (null: offline) and {@code cache}; lifecycle retries kept short. */
    static Map<String, String> env(URI endpoint, Path cache, Model model) {
        Map<String, String> env = new HashMap<>();
        env.put("MODEL_CACHE_DIR", cache.toString());
        env.put("EMBEDDING_MODEL", model.repoId());
        env.put("MODEL_RETRY_INITIAL_DELAY_SECONDS", "1");
        env.put("MODEL_RETRY_MAX_DELAY_SECONDS", "2");
        env.put("DOWNLOAD_PROGRESS_INTERVAL_SECONDS", "1");
        env.put("ONNX_INTRA_OP_THREADS", "1");
        if (endpoint == null) {
            env.put("HF_HUB_OFFLINE", "1");
            env.put("HF_ENDPOINT", "http://127.0.0.1:9");
        } else {
            env.put("HF_ENDPOINT", endpoint.toString());
        }
        return env;
    }

    static Map<String, String> with(Map<String, String> env, String... keyValues) {
        Map<String, String> copy = new HashMap<>(env);
        for (int i = 0; i < keyValues.length; i += 2) {
            copy.put(keyValues[i], keyValues[i + 1]);
        }
        return copy;
    }

    /** Fills {@code cache} in process with the same core code the server runs (fast set-up). */
    static CachedSnapshot fillCache(URI endpoint, Path cache, Model model) throws Exception {
        HubSettings settings = new HubSettings(endpoint, Secret.none(), Duration.ofSeconds(5), Duration.ofSeconds(10),
                2, Duration.ofSeconds(5));
        return new ModelFetcher(new HubCache(cache), new HubClient(settings), DownloadListener.none())
                .ensure(new RepoRef(model.repoId(), "main"), FORMAT, false);
    }

    static LibertyServer startReady(Map<String, String> env, Path out) throws Exception {
        LibertyServer server = LibertyServer.start(env, out);
        try {
            server.awaitReady(READY_TIMEOUT);
            return server;
        } catch (Throwable t) {
            server.kill();
            throw t;
        }
    }

    static JsonObject json(String body) {
        try (JsonReader r = Json.createReader(new StringReader(body))) {
            return r.readObject();
        }
    }

    static Optional<JsonObject> jsonObjectOrEmpty(String body) {
        try (JsonReader r = Json.createReader(new StringReader(body))) {
            JsonValue value = r.readValue();
            return value.getValueType() == JsonValue.ValueType.OBJECT ? Optional.of(value.asJsonObject()) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The server's lifecycle state and error from /v1/status ("?" when it does not answer). */
    static String stateOf(LibertyServer server) {
        try {
            JsonObject status = json(server.get("/v1/status").body());
            return status.getString("state", "?");
        } catch (Exception e) {
            return "?";
        }
    }

    static String errorOf(LibertyServer server) {
        try {
            JsonObject status = json(server.get("/v1/status").body());
            return status.getString("error", "");
        } catch (Exception e) {
            return "";
        }
    }

    /** Polls {@code condition} every 10 ms; false when it did not hold within {@code timeout}. */
    static boolean poll(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    static float[] floats(jakarta.json.JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.getJsonNumber(i).doubleValue();
        }
        return out;
    }

    /** A conformance input and speechbrain's embedding of it by the small model. */
    record Reference(String name, byte[] wav, float[] embedding) {
        static Reference of(String stem) throws IOException {
            Path dir = Npy.conformanceDir();
            return new Reference(stem, Files.readAllBytes(dir.resolve("inputs").resolve(stem + ".wav")),
                    Npy.read(dir.resolve("expected/small").resolve(stem + ".embedding.npy")).data());
        }
    }

    /** Asserts that {@code body} of a 200 answer holds {@code expected} (tolerances of the conformance tests). */
    static void assertEmbedding(float[] expected, String body) {
        float[] actual = floats(json(body).getJsonArray("data").getJsonObject(0).getJsonArray("embedding"));
        Npy.assertClose("embedding against speechbrain's", expected, actual, 5e-5, 0.99999);
    }

    static List<String> requiredFiles() {
        return FORMAT.required();
    }
}
