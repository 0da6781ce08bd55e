package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.READY_TIMEOUT;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.offline;
import static dev.speakerembedding.it.ServerTestSupport.startReady;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.model.sherpa.SherpaOnnxFamily;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Mounts;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * sherpa-onnx models served end to end by a real server: one Hub repository holding the small random-weight model of
 * each family (and a broken one), as csukuangfj/speaker-embedding-models holds several; MODEL_FILE picks one. The
 * embeddings through POST /v1/embeddings are compared with sherpa-onnx 1.13.8's for the same files
 * (conformance/sherpa/models/embeddings.json, the tolerances of SherpaEmbeddingConformanceTest). The cache's
 * guarantees hold for the ONNX file as for speechbrain's files: offline use, the pre-download script, a corrupt blob
 * and a read-only cache volume (a bind mount: needs root with the right to mount, as CI has).
 */
class SherpaModelIT {

    static final String REPO = "conformance/sherpa-speaker-models";
    /** One .onnx file beside other files, as WeSpeaker's and 3D-Speaker's own repositories are. */
    static final String ONE_ONNX_REPO = "conformance/one-wespeaker-model";
    static final String TWO_ONNX_REPO = "conformance/two-speaker-models";
    static final Path MODELS = Npy.conformanceDir().resolve("sherpa/models");
    static final List<String> INPUTS = List.of("speech_espeak_en", "speech_44k1_s16_stereo", "speech_8k_s16_mono",
            "chirp_1s");

    private static HubStandIn hub;
    private static Path tmp;
    private static JsonNode references;

    @BeforeAll
    static void startHub() throws Exception {
        tmp = Files.createTempDirectory("sherpa-it");
        hub = HubStandIn.start();
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String model : List.of("wespeaker_tiny", "3dspeaker_tiny", "nemo_tiny", "wespeaker_nometa")) {
            files.put(model + ".onnx", Files.readAllBytes(MODELS.resolve(model + ".onnx")));
        }
        files.put("bad_output_dim.onnx", withOutputDim(files.get("wespeaker_tiny.onnx"), "256", "255"));
        files.put("README.md", "small random-weight models for tests\n".getBytes(StandardCharsets.UTF_8));
        hub.addRepo(REPO, null, files, false);
        byte[] readme = "small random-weight model for tests\n".getBytes(StandardCharsets.UTF_8);
        hub.addRepo(ONE_ONNX_REPO, null, Map.of("wespeaker_tiny.onnx", files.get("wespeaker_tiny.onnx"),
                "README.md", readme, "config.yaml", "model: resnet\n".getBytes(StandardCharsets.UTF_8)), false);
        hub.addRepo(TWO_ONNX_REPO, null, Map.of("wespeaker_tiny.onnx", files.get("wespeaker_tiny.onnx"),
                "nemo/nemo_tiny.onnx", files.get("nemo_tiny.onnx"), "README.md", readme), false);
        references = new ObjectMapper().readTree(MODELS.resolve("embeddings.json").toFile());
    }

    @AfterAll
    static void stopHub() {
        if (hub != null) {
            hub.close();
        }
    }

    /** The model's bytes with its output_dim metadata value replaced (same length: the protobuf stays valid). */
    static byte[] withOutputDim(byte[] model, String from, String to) {
        byte[] needle = ("output_dim\u0012\u0003" + from).getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = model.clone();
        for (int i = 0; i + needle.length <= out.length; i++) {
            boolean match = true;
            for (int j = 0; j < needle.length && match; j++) {
                match = out[i + j] == needle[j];
            }
            if (match) {
                byte[] value = to.getBytes(StandardCharsets.ISO_8859_1);
                System.arraycopy(value, 0, out, i + needle.length - value.length, value.length);
                return out;
            }
        }
        throw new IllegalStateException("no output_dim " + from + " in the model");
    }

    static Map<String, String> sherpaEnv(Path cache, String modelFile) {
        Map<String, String> env = new HashMap<>(env(hub, cache));
        env.put("EMBEDDING_MODEL", REPO);
        env.put("MODEL_FILE", modelFile);
        // The model's own minimum (not MIN_AUDIO_SECONDS) is what the too-short request meets.
        env.put("MIN_AUDIO_SECONDS", "0.001");
        return env;
    }

    /** No MODEL_FILE: the repository's file list decides. */
    static Map<String, String> listedEnv(Path cache, String repo) {
        Map<String, String> env = sherpaEnv(cache, "unused.onnx");
        env.remove("MODEL_FILE");
        env.put("EMBEDDING_MODEL", repo);
        return env;
    }

    static long requestsFor(String repo, String pathPart) {
        return hub.requests(HubStandIn.HUB).stream().filter(r -> r.path().contains(repo) && r.path().contains(pathPart))
                .count();
    }

    static float[] reference(String input, String model) {
        for (JsonNode c : references.get("cases")) {
            if (c.get("input").asText().equals(input) && c.get("model").asText().equals(model)) {
                float[] v = new float[c.get("embedding").size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) c.get("embedding").get(i).asDouble();
                }
                return v;
            }
        }
        throw new IllegalArgumentException(input + " / " + model);
    }

    static float[] embedding(LibertyServer server, String input) throws Exception {
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(input + ".wav"));
        HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", wav);
        assertEquals(200, r.statusCode(), r.body());
        JsonArray values = json(r.body()).getJsonArray("data").getJsonObject(0).getJsonArray("embedding");
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values.getJsonNumber(i).doubleValue();
        }
        return out;
    }

    /** Runs scripts/download-embedding-model.sh with {@code env}; it must succeed and print {@code expectedLine}. */
    static void preDownload(Map<String, String> env, String expectedLine) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of(System.getProperty("project.root", "."))
                .resolve("scripts/download-embedding-model.sh").toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("MODEL_")
                || k.equals("EMBEDDING_MODEL"));
        pb.environment().putAll(env);
        pb.environment().put("HOME", tmp.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script finished");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains(expectedLine), output);
    }

    /** Fills {@code cache} with {@code modelFile} of {@link #REPO} in process, with the service's own fetcher. */
    static CachedSnapshot fillCache(Path cache, String modelFile) throws Exception {
        HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(5),
                Duration.ofSeconds(10), 2, Duration.ofSeconds(5));
        return new ModelFetcher(new HubCache(cache), new HubClient(settings), DownloadListener.none())
                .ensure(new RepoRef(REPO, "main"), Components.repoFiles(new SherpaOnnxFamily(modelFile, null)
                        .format()), false);
    }

    /** Relative path to size and modification time (or link target) of everything under {@code dir}. */
    static Map<String, String> listing(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                out.put(dir.relativize(p).toString(), Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }

    static void assertMatchesSherpa(String family, String input, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double maxRef = 0;
        for (float v : expected) {
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        double relative = Npy.maxAbsDiff(expected, actual) / maxRef;
        double cosine = Npy.cosine(expected, actual);
        System.out.printf("server %-10s %-24s max|diff|/max|ref| %.2e cosine %.9f%n", family, input, relative, cosine);
        if (family.equals("nemo")) {
            assertTrue(Npy.cosineAtLeast(cosine, 0.999), input + ": cosine " + cosine);
        } else if (input.equals("chirp_1s")) {
            assertTrue(Npy.cosineAtLeast(cosine, 0.9999), input + ": cosine " + cosine);
        } else {
            assertTrue(Npy.withinTolerance(relative, 1e-4), input + ": relative difference " + relative);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"wespeaker", "3dspeaker", "nemo"})
    void servesSherpaOnnxNumbers(String family) throws Exception {
        String model = family + "_tiny";
        Path cache = tmp.resolve("cache-" + family);
        String familyName = family.equals("3dspeaker") ? "3d-speaker" : family;
        try (LibertyServer server = startReady(sherpaEnv(cache, model + ".onnx"), tmp.resolve("run-" + family))) {
            JsonObject info = json(server.get("/v1/model").body());
            assertEquals("sherpa-onnx", info.getString("format"));
            assertEquals(familyName, info.getString("family"));
            assertEquals(familyName, info.getJsonObject("metadata").getString("framework"));
            assertEquals(family.equals("wespeaker") ? 256 : 192, info.getInt("dimension"));
            assertEquals(family.equals("nemo") ? "true" : "false",
                    info.getJsonObject("front_end").getString("snip_edges"));
            assertFalse(info.containsKey("conversion"), "an ONNX file is not converted");
            JsonArray files = info.getJsonArray("files");
            assertEquals(1, files.size());
            assertEquals(model + ".onnx", files.getJsonObject(0).getString("name"));
            assertEquals(references.get("modelSha256").get(model + ".onnx").asText(),
                    files.getJsonObject(0).getString("sha256"));
            for (String input : INPUTS) {
                assertMatchesSherpa(family, input, reference(input, model), embedding(server, input));
            }
            byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/speech_espeak_en.wav"));
            HttpResponse<String> r = server.post("/v1/embeddings?normalize=true", "audio/wav", wav);
            assertEquals(400, r.statusCode(), r.body());
            assertEquals("invalid_option", json(r.body()).getString("code"));
            // 50 samples at 16 kHz: under the half frame shift WeSpeaker/3D-Speaker need, and NeMo's 25 ms window.
            short[] samples = new short[50];
            for (int i = 0; i < samples.length; i++) {
                samples[i] = (short) (3000 * Math.sin(i * 0.3));
            }
            r = server.post("/v1/embeddings", "audio/wav", Wavs.mono(16000, samples));
            assertEquals(422, r.statusCode(), r.body());
            assertEquals("audio_too_short", json(r.body()).getString("code"));
        }
        if (family.equals("wespeaker")) {
            // The verified cache serves the ONNX file without the Hub.
            try (LibertyServer server = startReady(offline(sherpaEnv(cache, model + ".onnx")),
                    tmp.resolve("offline-" + family))) {
                assertMatchesSherpa(family, "speech_espeak_en", reference("speech_espeak_en", model),
                        embedding(server, "speech_espeak_en"));
            }
        }
    }

    /** The pre-download script fetches and verifies the one file MODEL_FILE names; an offline server serves it. */
    @Test
    void preDownloadedOnnxFileIsServedOffline() throws Exception {
        Path cache = tmp.resolve("cache-pre");
        Map<String, String> env = sherpaEnv(cache, "nemo_tiny.onnx");
        preDownload(env, "nemo model, embedding dimension 192");
        try (LibertyServer server = startReady(offline(env), tmp.resolve("run-pre"))) {
            assertEquals("nemo", json(server.get("/v1/model").body()).getString("family"));
            assertMatchesSherpa("nemo", "speech_espeak_en", reference("speech_espeak_en", "nemo_tiny"),
                    embedding(server, "speech_espeak_en"));
        }
    }

    /**
     * Without MODEL_FILE, speechbrain's files are asked for first (hyperparams.yaml: 404), then the repository is
     * listed once and its only .onnx file served; an offline restart finds it in the cached snapshot.
     */
    @Test
    void theOnlyOnnxFileIsFoundByItselfAndServedOfflineAfterwards() throws Exception {
        Path cache = tmp.resolve("cache-listed");
        Map<String, String> env = listedEnv(cache, ONE_ONNX_REPO);
        try (LibertyServer server = startReady(env, tmp.resolve("run-listed"))) {
            JsonObject info = json(server.get("/v1/model").body());
            assertEquals("wespeaker", info.getString("family"));
            JsonArray files = info.getJsonArray("files");
            assertEquals(1, files.size());
            assertEquals("wespeaker_tiny.onnx", files.getJsonObject(0).getString("name"));
            assertEquals(references.get("modelSha256").get("wespeaker_tiny.onnx").asText(),
                    files.getJsonObject(0).getString("sha256"));
            assertMatchesSherpa("wespeaker", "speech_espeak_en", reference("speech_espeak_en", "wespeaker_tiny"),
                    embedding(server, "speech_espeak_en"));
            assertTrue(json(server.get("/v1/status").body()).getBoolean("model_cached"), "the listed file is cached");
        }
        assertEquals(1, requestsFor(ONE_ONNX_REPO, "/api/models/"), "listed once");
        assertEquals(1, requestsFor(ONE_ONNX_REPO, "/resolve/main/hyperparams.yaml"), "speechbrain's files first");
        assertEquals(0, requestsFor(ONE_ONNX_REPO, "README.md"), "only the model file is fetched");
        long before = hub.requests().size();
        try (LibertyServer server = startReady(offline(env), tmp.resolve("offline-listed"))) {
            assertEquals("wespeaker", json(server.get("/v1/model").body()).getString("family"));
            assertMatchesSherpa("wespeaker", "chirp_1s", reference("chirp_1s", "wespeaker_tiny"),
                    embedding(server, "chirp_1s"));
        }
        assertEquals(before, hub.requests().size(), "offline: no request to the Hub");
    }

    /**
     * The ONNX file is verified by its sha256 like speechbrain's checkpoint (as CorruptCacheAtRestIT and
     * ModelCacheLifecycleIT damage those): one bit flipped in its cached blob while no server runs still loads in ONNX
     * Runtime and would give other numbers, so the hash must catch it. Offline the service stays unready, names the
     * file and never serves; online it downloads the file again at the cached commit and serves sherpa-onnx's numbers.
     */
    @Test
    void aBitFlippedInTheCachedOnnxFileIsNamedOfflineAndDownloadedAgainOnline() throws Exception {
        Path cache = tmp.resolve("cache-corrupt");
        String model = "wespeaker_tiny";
        String sha256 = references.get("modelSha256").get(model + ".onnx").asText();
        CachedSnapshot snapshot = fillCache(cache, model + ".onnx");
        Path blob = snapshot.file(model + ".onnx").toRealPath();
        assertEquals(sha256, blob.getFileName().toString(), "the blob is named by its sha256");
        long size = Files.size(blob);
        // A weight in the middle of the file, not the protobuf framing: the damaged file is still a valid model.
        ServerTestSupport.flipByte(blob, size / 2);
        assertNotEquals(sha256, ServerTestSupport.sha256(blob), "damaged");
        Map<String, String> env = sherpaEnv(cache, model + ".onnx");

        long before = hub.requests().size();
        try (LibertyServer server = LibertyServer.start(offline(env), tmp.resolve("corrupt-offline"))) {
            server.awaitResponse("/health/ready", r -> r.statusCode() == 503 && r.body().contains("is corrupt"),
                    READY_TIMEOUT);
            String error = checkData(server.get("/health/ready").body()).getString("last_error");
            assertTrue(error.startsWith("Cached file " + model + ".onnx of " + REPO) && error.contains("is corrupt")
                    && error.contains("expected " + sha256) && error.contains("HF_HUB_OFFLINE unset"), error);
            JsonObject status = json(server.get("/v1/status").body());
            assertFalse(status.getBoolean("model_loaded"));
            assertEquals(error, status.getString("error"));
            byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/speech_espeak_en.wav"));
            HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", wav);
            assertEquals(503, r.statusCode(), "the damaged model is never served: " + r.body());
            assertEquals("model_not_ready", json(r.body()).getString("code"));
            assertEquals(200, server.get("/health/live").statusCode(), "the process stays up");
        }
        assertEquals(before, hub.requests().size(), "offline: no request to the Hub");
        assertEquals(size, Files.size(blob), "offline: the damaged blob is left for an online start to repair");

        long fetchedBefore = requestsFor(REPO, model + ".onnx");
        try (LibertyServer server = startReady(env, tmp.resolve("corrupt-online"))) {
            assertTrue(server.allLogs().lines().anyMatch(l -> l.contains("Cached file " + model + ".onnx")
                    && l.contains("is corrupt") && l.contains("downloading it again")), "the log names it");
            JsonObject files = json(server.get("/v1/model").body()).getJsonArray("files").getJsonObject(0);
            assertEquals(sha256, files.getString("sha256"));
            for (String input : List.of("speech_espeak_en", "speech_44k1_s16_stereo")) {
                assertMatchesSherpa("wespeaker", input, reference(input, model), embedding(server, input));
            }
        }
        assertTrue(requestsFor(REPO, model + ".onnx") > fetchedBefore, "the damaged file was downloaded again");
        assertEquals(sha256, ServerTestSupport.sha256(snapshot.file(model + ".onnx")), "repaired in place");
        try (Stream<Path> blobs = Files.list(blob.getParent())) {
            assertEquals(List.of(sha256), blobs.map(p -> p.getFileName().toString()).toList(),
                    "one blob, named by its content, and no temp file");
        }
    }

    /**
     * A pre-downloaded ONNX model on a read-only volume (a bind mount remounted read-only, which root cannot write
     * either, as DiskFaultScenario does for speechbrain): offline and online with the Hub up, the service serves it
     * with sherpa-onnx's numbers, sends no request, tries no write and leaves the volume unchanged.
     */
    @Test
    void aReadOnlyCacheWithAPreDownloadedOnnxModelIsServedAndLeftUnchanged() throws Exception {
        Path source = tmp.resolve("cache-ro-source");
        Map<String, String> download = sherpaEnv(source, "3dspeaker_tiny.onnx");
        preDownload(download, "3d-speaker model, embedding dimension 192");
        Map<String, String> before = listing(source);
        try (Mounts mounts = Mounts.failingWhenNotPermitted()) {
            Path ro = mounts.readOnlyBind(source, tmp.resolve("cache-ro"));
            for (boolean offline : new boolean[] {true, false}) {
                Map<String, String> env = sherpaEnv(ro, "3dspeaker_tiny.onnx");
                long requests = hub.requests().size();
                String run = offline ? "ro-offline" : "ro-online";
                try (LibertyServer server = startReady(offline ? offline(env) : env, tmp.resolve(run))) {
                    JsonObject status = json(server.get("/v1/status").body());
                    assertEquals(ro.toString(), status.getString("cache_dir"));
                    assertTrue(status.getBoolean("model_cached"), run);
                    assertEquals(offline, status.getBoolean("offline_mode"));
                    assertEquals("3d-speaker", json(server.get("/v1/model").body()).getString("family"));
                    for (String input : List.of("speech_espeak_en", "speech_8k_s16_mono")) {
                        assertMatchesSherpa("3dspeaker", input, reference(input, "3dspeaker_tiny"),
                                embedding(server, input));
                    }
                    String logs = server.allLogs();
                    assertFalse(logs.contains("Read-only file system") || logs.contains("ReadOnlyFileSystem"),
                            run + ": the service tried to write to the read-only cache");
                }
                assertEquals(requests, hub.requests().size(), run + ": a cached model needs no request");
            }
            assertEquals(before, listing(ro), "the read-only volume as it was");
        }
        assertEquals(before, listing(source), "the volume's files unchanged");
    }

    @Test
    void severalOnnxFilesWithoutModelFileFailAtLoadListingThem() throws Exception {
        try (LibertyServer server = LibertyServer.start(listedEnv(tmp.resolve("cache-two"), TWO_ONNX_REPO),
                tmp.resolve("run-two"))) {
            server.awaitResponse("/v1/status", r -> r.body().contains("\"FAILED\""), READY_TIMEOUT);
            String error = json(server.get("/v1/status").body()).getString("error");
            assertTrue(error.contains("2 .onnx files") && error.contains("nemo/nemo_tiny.onnx")
                    && error.contains("wespeaker_tiny.onnx") && error.contains("set MODEL_FILE"), error);
            assertEquals(503, server.get("/health/ready").statusCode());
            assertEquals(200, server.get("/health/live").statusCode(), "the process stays up");
        }
        assertEquals(0, requestsFor(TWO_ONNX_REPO, ".onnx"), "nothing is downloaded");
    }

    @Test
    void modelFamilyServesAFileWithoutMetadata() throws Exception {
        Map<String, String> env = sherpaEnv(tmp.resolve("cache-nometa"), "wespeaker_nometa.onnx");
        env.put("MODEL_FAMILY", "wespeaker");
        try (LibertyServer server = startReady(env, tmp.resolve("run-nometa"))) {
            JsonObject info = json(server.get("/v1/model").body());
            assertEquals("wespeaker", info.getString("family"));
            assertTrue(info.getJsonObject("front_end").getString("model_family_defaults").contains("sample_rate"));
            assertMatchesSherpa("wespeaker", "speech_espeak_en", reference("speech_espeak_en", "wespeaker_tiny"),
                    embedding(server, "speech_espeak_en"));
        }
    }

    @Test
    void aBadModelFailsAtLoadAndTheServiceSaysSo() throws Exception {
        try (LibertyServer server = LibertyServer.start(sherpaEnv(tmp.resolve("cache-bad"), "bad_output_dim.onnx"),
                tmp.resolve("run-bad"))) {
            server.awaitResponse("/v1/status", r -> r.body().contains("\"FAILED\""), READY_TIMEOUT);
            JsonObject status = json(server.get("/v1/status").body());
            assertEquals("FAILED", status.getString("state"));
            String error = status.getString("error");
            assertTrue(error.contains("'output_dim' is 255") && error.contains("correct output_dim to 256"), error);
            HttpResponse<String> ready = server.get("/health/ready");
            assertEquals(503, ready.statusCode());
            assertEquals("FAILED", checkData(ready.body()).getString("state"));
            assertEquals(200, server.get("/health/live").statusCode(), "the process stays up");
        }
    }
}
