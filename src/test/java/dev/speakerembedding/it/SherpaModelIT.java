package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.READY_TIMEOUT;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.offline;
import static dev.speakerembedding.it.ServerTestSupport.startReady;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * sherpa-onnx models served end to end by a real server: one Hub repository holding the small random-weight model of
 * each family (and a broken one), as csukuangfj/speaker-embedding-models holds several; MODEL_FILE picks one. The
 * embeddings through POST /v1/embeddings are compared with sherpa-onnx 1.13.8's for the same files
 * (conformance/sherpa/models/embeddings.json, the tolerances of SherpaEmbeddingConformanceTest).
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
        assertTrue(output.contains("nemo model, embedding dimension 192"), output);
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
