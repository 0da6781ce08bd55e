package dev.speakerembedding.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** What the server-level tests share: the small conformance model as a Hub repo, env, JSON and cache checks. */
final class ServerTestSupport {

    static final String REPO = "conformance/ecapa-small";
    static final String REPO_DIR_NAME = "models--conformance--ecapa-small";
    static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private ServerTestSupport() {
    }

    static Path smallModelDir() {
        return Npy.conformanceDir().resolve("small");
    }

    static String serveSmallModel(HubStandIn hub, boolean gated) throws IOException {
        return hub.addRepo(REPO, null, smallModelDir(), gated);
    }

    /** The environment of a server using {@code hub} (null: offline) and {@code cache}; retries kept short. */
    static Map<String, String> env(HubStandIn hub, Path cache) {
        Map<String, String> env = new HashMap<>();
        env.put("MODEL_CACHE_DIR", cache.toString());
        env.put("EMBEDDING_MODEL", REPO);
        env.put("MODEL_RETRY_INITIAL_DELAY_SECONDS", "1");
        env.put("MODEL_RETRY_MAX_DELAY_SECONDS", "2");
        env.put("DOWNLOAD_PROGRESS_INTERVAL_SECONDS", "1");
        env.put("ONNX_INTRA_OP_THREADS", "1");
        if (hub == null) {
            env.put("HF_HUB_OFFLINE", "1");
            env.put("HF_ENDPOINT", "http://127.0.0.1:9");
        } else {
            env.put("HF_ENDPOINT", hub.endpoint().toString());
        }
        return env;
    }

    static Map<String, String> offline(Map<String, String> env) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put("HF_HUB_OFFLINE", "1");
        return copy;
    }

    /** Fills {@code cache} with the core code, in process (fast set-up for tests about what happens next). */
    static CachedSnapshot fillCache(HubStandIn hub, Path cache) throws Exception {
        HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(5),
                Duration.ofSeconds(10), 2, Duration.ofSeconds(5));
        return new ModelFetcher(new HubCache(cache), new HubClient(settings), DownloadListener.none())
                .ensure(new RepoRef(REPO, "main"), Components.REPO_FILES, false);
    }

    static JsonObject json(String body) {
        try (JsonReader r = Json.createReader(new StringReader(body))) {
            return r.readObject();
        }
    }

    /** The data of the first check in a MicroProfile Health answer. */
    static JsonObject checkData(String healthBody) {
        return json(healthBody).getJsonArray("checks").getJsonObject(0).getJsonObject("data");
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(Files.readAllBytes(file));
        return HexFormat.of().formatHex(md.digest());
    }

    static Path repoDir(Path cache) {
        return cache.resolve(REPO_DIR_NAME);
    }

    /** Every blob's content matches its name (sha256 for LFS blobs) and no temp file is left. */
    static void assertBlobsIntact(Path cache, HubStandIn hub) throws Exception {
        assertBlobsIntact(cache, hub, false);
    }

    /**
     * Like {@link #assertBlobsIntact(Path, HubStandIn)}; with {@code tempsAllowed}, a killed process's recent
     * {@code *.incomplete} file may remain (it is removed once stale), as long as no final name is wrong.
     */
    static void assertBlobsIntact(Path cache, HubStandIn hub, boolean tempsAllowed) throws Exception {
        Path blobs = repoDir(cache).resolve("blobs");
        try (Stream<Path> files = Files.list(blobs)) {
            for (Path blob : files.toList()) {
                String name = blob.getFileName().toString();
                if (name.matches("[0-9a-f]{64}")) {
                    assertEquals(name, sha256(blob), "LFS blob content must match its name: " + blob);
                } else if (!name.matches("[0-9a-f]{40}") && !(tempsAllowed && name.endsWith(".incomplete"))) {
                    fail("unexpected file left in blobs/: " + name);
                }
            }
        }
        for (String file : Components.FORMAT.requiredFiles()) {
            HubStandIn.RepoFile expected = hub.file(REPO, file);
            Path snapshot = repoDir(cache).resolve("snapshots").resolve(hub.commit(REPO)).resolve(file);
            assertEquals(expected.sha256(), sha256(snapshot), file + " in the snapshot");
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        Path real = file.toRealPath();
        byte[] bytes = Files.readAllBytes(real);
        bytes[(int) offset] ^= 0x01;
        real.toFile().setWritable(true);
        Files.write(real, bytes);
    }

    static URI uri(String s) {
        return URI.create(s);
    }

    static List<String> requiredFiles() {
        return Components.FORMAT.requiredFiles();
    }

    static LibertyServer startReady(Map<String, String> env, Path out) throws Exception {
        LibertyServer server = LibertyServer.start(env, out);
        try {
            server.awaitReady(READY_TIMEOUT);
            return server;
        } catch (Throwable t) {
            server.close();
            throw t;
        }
    }
}
