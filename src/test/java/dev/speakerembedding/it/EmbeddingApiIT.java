package dev.speakerembedding.it;

import static dev.speakerembedding.it.ApiCalls.assertProblem;
import static dev.speakerembedding.it.ApiCalls.embed;
import static dev.speakerembedding.it.ApiCalls.embeddings;
import static dev.speakerembedding.it.ApiCalls.floats;
import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.it.ApiCalls.Multipart;
import dev.speakerembedding.it.ApiCalls.Part;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every operation of the HTTP API and every error code a client can cause, through one real Liberty server
 * serving the small conformance model (limits lowered so the oversized cases stay small).
 */
class EmbeddingApiIT {

    private static final long MAX_REQUEST_BYTES = 2_000_000;
    private static final int MAX_BATCH_SIZE = 4;
    private static final int MAX_AUDIO_SECONDS = 30;
    /** Same file, same numbers: a batch item and a single request run the identical pipeline. */
    private static final double SAME_COMPUTATION = 0.0;
    /** speechbrain's verify scores in float32; ours from float32 embeddings in double. */
    private static final double SPEECHBRAIN_SCORE_TOLERANCE = 1e-5;

    private static HubStandIn hub;
    private static LibertyServer server;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> env = new HashMap<>(env(hub, tmp.resolve("cache")));
        env.put("MAX_REQUEST_BYTES", Long.toString(MAX_REQUEST_BYTES));
        env.put("MAX_BATCH_SIZE", Integer.toString(MAX_BATCH_SIZE));
        env.put("MAX_AUDIO_SECONDS", Integer.toString(MAX_AUDIO_SECONDS));
        server = ServerTestSupport.startReady(env, tmp.resolve("server"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    /** A GET written byte for byte on a socket: the whole answer, headers and body, as text. */
    private static String rawGet(String pathAndQuery) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.uri("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static byte[] input(String name) throws IOException {
        return Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(name));
    }

    /** The conformance manifest's description of an input's format (frames, sample rate, ...). */
    private static JsonObject manifestFormat(String input) throws IOException {
        try (JsonReader r = Json.createReader(Files.newBufferedReader(Npy.conformanceDir().resolve("MANIFEST.json")))) {
            return r.readObject().getJsonObject("inputs").getJsonObject(input).getJsonObject("format");
        }
    }

    private static float[] speechbrain(String stem) throws IOException {
        return Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(stem + ".embedding.npy")).data();
    }

    private static JsonObject ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.body());
        return json(r.body());
    }

    // ---- POST /v1/embeddings -------------------------------------------------------------------------------

    @Test
    void oneFileGivesSpeechbrainsEmbeddingWithWhatWasLearntAboutTheAudio() throws Exception {
        JsonObject body = ok(embed(server, input("speech_44k1_s16_stereo.wav")));
        assertEquals(REPO, body.getString("model"));
        assertEquals(hub.commit(REPO), body.getString("commit"));
        assertEquals(32, body.getInt("dimension"));
        assertFalse(body.getBoolean("normalize"));
        assertFalse(body.getBoolean("unit_length"));
        JsonArray data = body.getJsonArray("data");
        assertEquals(1, data.size());
        JsonObject item = data.getJsonObject(0);
        assertEquals(0, item.getInt("index"));
        assertFalse(item.containsKey("name"), "a single-file body has no part name");
        assertEquals(44100, item.getInt("sample_rate_hz"), "the rate as sent, not 16 kHz");
        assertEquals(2, item.getInt("channels"));
        float[] expected = speechbrain("speech_44k1_s16_stereo");
        assertEquals(expected.length, item.getJsonArray("embedding").size());
        assertTrue(Npy.maxAbsDiff(expected, floats(item.getJsonArray("embedding"))) <= 5e-5);
        JsonObject format = manifestFormat("speech_44k1_s16_stereo.wav");
        assertEquals(format.getInt("frames") / 44100.0, item.getJsonNumber("duration_seconds").doubleValue(), 1e-12);
    }

    @Test
    void everyBinaryContentTypeIsAccepted() throws Exception {
        byte[] wav = input("chirp_1s.wav");
        float[] reference = embeddings(ok(embed(server, wav))).get(0);
        for (String type : List.of("audio/x-wav", "audio/wave", "application/octet-stream")) {
            assertArrayEquals(reference, embeddings(ok(server.post("/v1/embeddings", type, wav))).get(0), type);
        }
    }

    @Test
    void aQuarterSecondClipIsAcceptedByDefault() throws Exception {
        JsonObject item = ok(embed(server, input("speech_0p25s_16k_s16.wav"))).getJsonArray("data").getJsonObject(0);
        assertEquals(0.25, item.getJsonNumber("duration_seconds").doubleValue(), 1e-9);
        assertTrue(Npy.maxAbsDiff(speechbrain("speech_0p25s_16k_s16"), floats(item.getJsonArray("embedding"))) <= 5e-5);
    }

    @Test
    void aBatchReturnsTheSameNumbersAsTheSameFilesOneAtATime() throws Exception {
        List<String> names = List.of("speech_8k_s16_mono.wav", "speech_22k05_f32_mono.wav", "chirp_1s.wav",
                "speech_16k_u8_mono.wav");
        for (String query : List.of("", "?normalize=true", "?unit_length=true", "?normalize=true&unit_length=true")) {
            List<Part> parts = new ArrayList<>();
            for (String name : names) {
                parts.add(Part.file("files", name, input(name)));
            }
            JsonObject batch = ok(ApiCalls.post(server, "/v1/embeddings" + query, Multipart.of(parts)));
            JsonArray data = batch.getJsonArray("data");
            assertEquals(names.size(), data.size());
            assertEquals(query.contains("normalize"), batch.getBoolean("normalize"));
            assertEquals(query.contains("unit_length"), batch.getBoolean("unit_length"));
            for (int i = 0; i < names.size(); i++) {
                JsonObject item = data.getJsonObject(i);
                assertEquals(i, item.getInt("index"));
                assertEquals(names.get(i), item.getString("name"), "items in the order sent");
                JsonObject single = ok(server.post("/v1/embeddings" + query, "audio/wav", input(names.get(i))))
                        .getJsonArray("data").getJsonObject(0);
                assertEquals(SAME_COMPUTATION, Npy.maxAbsDiff(floats(single.getJsonArray("embedding")),
                        floats(item.getJsonArray("embedding"))), names.get(i) + query);
                assertEquals(single.getJsonNumber("duration_seconds"), item.getJsonNumber("duration_seconds"));
                assertEquals(single.getInt("sample_rate_hz"), item.getInt("sample_rate_hz"));
            }
        }
    }

    @Test
    void aBatchOfOneAndPartsWithoutFileNamesWork() throws Exception {
        byte[] wav = input("noise_3s.wav");
        JsonObject body = ok(ApiCalls.post(server, "/v1/embeddings",
                Multipart.of(new Part("clip", null, null, wav))));
        JsonObject item = body.getJsonArray("data").getJsonObject(0);
        assertEquals("clip", item.getString("name"), "the field name when no file name is given");
        assertArrayEquals(embeddings(ok(embed(server, wav))).get(0), floats(item.getJsonArray("embedding")));
    }

    @Test
    void unitLengthGivesNormOneAndNormalizeSpeechbrainsNormalizedVector() throws Exception {
        byte[] wav = input("speech_espeak_en.wav");
        float[] unit = embeddings(ok(server.post("/v1/embeddings?unit_length=true", "audio/wav", wav))).get(0);
        double sum = 0;
        for (float x : unit) {
            sum += x * x;
        }
        assertEquals(1.0, Math.sqrt(sum), 1e-5);
        float[] normalized = embeddings(ok(server.post("/v1/embeddings?normalize=TRUE", "audio/wav", wav))).get(0);
        float[] expected = Npy.read(Npy.conformanceDir()
                .resolve("expected/small/speech_espeak_en.embedding_normalize_true.npy")).data();
        assertTrue(Npy.maxAbsDiff(expected, normalized) <= 5e-5);
    }

    // ---- POST /v1/verify ----------------------------------------------------------------------------------

    private static JsonObject verify(String a, String b, String query) throws Exception {
        return ok(ApiCalls.post(server, "/v1/verify" + query,
                Multipart.of(Part.file("a", a, input(a)), Part.file("b", b, input(b)))));
    }

    @Test
    void verifyScoresLikeSpeechbrainAndIsSymmetric() throws Exception {
        JsonObject reference;
        try (JsonReader r = Json.createReader(Files.newBufferedReader(
                Npy.conformanceDir().resolve("expected/small/cosine_similarity.json")))) {
            reference = r.readObject();
        }
        for (var check : reference.getJsonArray("verify_files_spot_checks")) {
            JsonObject c = check.asJsonObject();
            if (c.getString("b").startsWith("silence")) {
                continue; // digital silence is refused here (audio_silent), speechbrain scores it anyway
            }
            JsonObject ab = verify(c.getString("a"), c.getString("b"), "");
            JsonObject ba = verify(c.getString("b"), c.getString("a"), "");
            double expected = c.getJsonNumber("score").doubleValue();
            assertEquals(expected, ab.getJsonNumber("score").doubleValue(), SPEECHBRAIN_SCORE_TOLERANCE, c.toString());
            assertEquals(ab.getJsonNumber("score").doubleValue(), ba.getJsonNumber("score").doubleValue(), 0.0,
                    "symmetric: " + c);
            assertEquals(c.getBoolean("decision"), ab.getBoolean("same_speaker"));
            assertEquals(0.25, ab.getJsonNumber("threshold").doubleValue());
            assertEquals(REPO, ab.getString("model"));
            assertEquals(hub.commit(REPO), ab.getString("commit"));
        }
    }

    @Test
    void aFileAgainstItselfScoresOne() throws Exception {
        for (String name : List.of("speech_espeak_en.wav", "speech_44k1_s16_stereo.wav")) {
            JsonObject r = verify(name, name, "");
            assertEquals(1.0, r.getJsonNumber("score").doubleValue(), 1e-9, name);
            assertTrue(r.getBoolean("same_speaker"));
        }
    }

    @Test
    void thresholdDecidesAndCanBeGivenPerRequest() throws Exception {
        JsonObject strict = verify("chirp_1s.wav", "speech_espeak_en_f3.wav", "?threshold=0.99");
        assertEquals(0.99, strict.getJsonNumber("threshold").doubleValue());
        assertFalse(strict.getBoolean("same_speaker"), "0.948 is not above 0.99");
        JsonObject lenient = verify("chirp_1s.wav", "speech_espeak_en_f3.wav", "?threshold=-0.5");
        assertTrue(lenient.getBoolean("same_speaker"));
    }

    @Test
    void comparingEmbeddingsGivesTheScoreOfTheAudio() throws Exception {
        String a = "speech_16k_s32_mono.wav";
        String b = "speech_8k_s16_mono.wav";
        JsonObject fromAudio = verify(a, b, "");
        float[] ea = embeddings(ok(embed(server, input(a)))).get(0);
        float[] eb = embeddings(ok(embed(server, input(b)))).get(0);
        String body = Json.createObjectBuilder().add("a", array(ea)).add("b", array(eb)).build().toString();
        JsonObject fromJson = ok(server.post("/v1/verify/embeddings", "application/json", body.getBytes()));
        assertEquals(fromAudio.getJsonNumber("score").doubleValue(), fromJson.getJsonNumber("score").doubleValue(),
                1e-6);
        assertEquals(fromAudio.getBoolean("same_speaker"), fromJson.getBoolean("same_speaker"));
        assertFalse(fromJson.containsKey("model"), "no model was involved");
        JsonObject strict = ok(server.post("/v1/verify/embeddings?threshold=0.9999", "application/json",
                body.getBytes()));
        assertEquals(0.9999, strict.getJsonNumber("threshold").doubleValue());
        assertEquals(fromJson.getJsonNumber("score").doubleValue(), strict.getJsonNumber("score").doubleValue());
    }

    /**
     * JSON on POST /v1/verify, the form compareEmbeddings replaced, still answers as before (for curl users and
     * clients written against it), though the document no longer lists it.
     */
    @Test
    void jsonOnVerifyStillComparesEmbeddings() throws Exception {
        float[] ea = embeddings(ok(embed(server, input("chirp_1s.wav")))).get(0);
        float[] eb = embeddings(ok(embed(server, input("noise_3s.wav")))).get(0);
        byte[] body = Json.createObjectBuilder().add("a", array(ea)).add("b", array(eb)).build().toString()
                .getBytes();
        JsonObject legacy = ok(server.post("/v1/verify?threshold=0.5", "application/json", body));
        JsonObject current = ok(server.post("/v1/verify/embeddings?threshold=0.5", "application/json", body));
        assertEquals(current.getJsonNumber("score").doubleValue(), legacy.getJsonNumber("score").doubleValue(), 0.0);
        assertEquals(0.5, legacy.getJsonNumber("threshold").doubleValue());
        assertEquals(current.getBoolean("same_speaker"), legacy.getBoolean("same_speaker"));
        assertFalse(legacy.containsKey("model"), "no model was involved");
        assertProblem(server.post("/v1/verify", "application/json", "{\"a\":[1,2]}".getBytes()), 400, "invalid_json");
        assertProblem(server.post("/v1/verify", "application/json", "{\"a\":[1,2],\"b\":[1]}".getBytes()), 422,
                "invalid_embedding");
    }

    private static jakarta.json.JsonArrayBuilder array(float[] v) {
        var b = Json.createArrayBuilder();
        for (float x : v) {
            b.add(x);
        }
        return b;
    }

    // ---- GET /v1/model ------------------------------------------------------------------------------------

    @Test
    void modelInfoDescribesWhatIsServed() throws Exception {
        JsonObject m = ok(server.get("/v1/model"));
        assertEquals(REPO, m.getString("model"));
        assertEquals("main", m.getString("revision"));
        assertEquals(hub.commit(REPO), m.getString("commit"));
        assertEquals("speechbrain-ecapa", m.getString("format"));
        assertEquals(32, m.getInt("dimension"));
        assertEquals(16000, m.getInt("sample_rate_hz"));
        assertEquals("cpu", m.getString("device"));
        assertTrue(m.getString("onnxruntime_version").matches("\\d+\\.\\d+\\.\\d+"), m.toString());
        Instant loadedAt = Instant.parse(m.getString("loaded_at"));
        assertTrue(loadedAt.isBefore(Instant.now()) && loadedAt.isAfter(Instant.now().minusSeconds(3600)));
        JsonArray files = m.getJsonArray("files");
        assertEquals(ServerTestSupport.requiredFiles().size(), files.size());
        for (var f : files) {
            JsonObject file = f.asJsonObject();
            HubStandIn.RepoFile served = hub.file(REPO, file.getString("name"));
            assertEquals(served.sha256(), file.getString("sha256"), file.getString("name"));
            assertEquals(served.sizeBytes(), file.getJsonNumber("size_bytes").longValue(), file.getString("name"));
        }
        JsonObject conversion = m.getJsonObject("conversion");
        assertEquals(hub.file(REPO, "embedding_model.ckpt").sha256(), conversion.getString("checkpoint_sha256"));
        assertTrue(conversion.getJsonNumber("onnx_size_bytes").longValue() > 0);
        assertTrue(conversion.getString("onnx_file").startsWith(tmp.resolve("cache").toString()));
        JsonObject limits = m.getJsonObject("limits");
        assertEquals(MAX_REQUEST_BYTES, limits.getJsonNumber("max_request_bytes").longValue());
        assertEquals(MAX_BATCH_SIZE, limits.getInt("max_batch_size"));
        assertEquals(0.25, limits.getJsonNumber("verify_threshold").doubleValue());
    }

    // ---- Crafted requests: every error a client can cause ---------------------------------------------------

    @Test
    void truncatedWavs() throws Exception {
        byte[] wav = input("chirp_1s.wav");
        assertProblem(embed(server, Wavs.cut(wav, 30)), 400, "malformed_audio");
        assertProblem(embed(server, Wavs.cut(wav, 6)), 400, "malformed_audio");
        assertProblem(embed(server, new byte[0]), 400, "malformed_audio");
        // Cut inside the samples: decoded as far as whole frames go (as sox does), so a shorter clip.
        JsonObject half = ok(embed(server, Wavs.cut(wav, 44 + 16000))).getJsonArray("data").getJsonObject(0);
        assertEquals(0.5, half.getJsonNumber("duration_seconds").doubleValue(), 1e-9);
    }

    @Test
    void aHeaderLyingAboutItsDataSize() throws Exception {
        short[] oneSecond = Wavs.signal(16000, 16000);
        // Claims far more data than follows (a streaming writer's placeholder): the samples present count.
        JsonObject item = ok(embed(server, Wavs.pcm16(1, 16000, 1, 0x7FFF_FFFFL, oneSecond)))
                .getJsonArray("data").getJsonObject(0);
        assertEquals(1.0, item.getJsonNumber("duration_seconds").doubleValue(), 1e-9);
        // Claims a huge data chunk but only a handful of samples follow: too short, not a huge allocation.
        assertProblem(embed(server, Wavs.pcm16(1, 16000, 1, 0xFFFF_FFF0L, new short[] {1, 2, 3})), 422,
                "audio_too_short");
        // A chunk before the data claiming more bytes than the file holds.
        byte[] wav = Wavs.mono(16000, oneSecond);
        ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 0x10000);
        assertProblem(embed(server, wav), 400, "malformed_audio");
    }

    @Test
    void impossibleFormatFields() throws Exception {
        short[] samples = Wavs.signal(16000, 16000);
        JsonObject p = assertProblem(embed(server, Wavs.pcm16(0, 16000, 1, -1, samples)), 400, "malformed_audio");
        assertTrue(p.getString("detail").contains("0 channels"), p.toString());
        assertProblem(embed(server, Wavs.pcm16(1, 0, 1, -1, samples)), 400, "malformed_audio");
        p = assertProblem(embed(server, Wavs.pcm16(1, 4_000_000, 1, -1, samples)), 415, "unsupported_audio_encoding");
        assertTrue(p.getString("detail").contains("4000000 Hz"), p.toString());
        assertProblem(embed(server, Wavs.pcm16(1, 0xFFFF_FFFFL, 1, -1, samples)), 415, "unsupported_audio_encoding");
        assertProblem(embed(server, Wavs.pcm16(1, 16000, 6, -1, samples)), 415, "unsupported_audio_encoding");
        assertProblem(embed(server, "RIFF....WAVEjunk".getBytes()), 400, "malformed_audio");
        assertProblem(embed(server, "ID3\u0004 an mp3 file".getBytes()), 400, "malformed_audio");
    }

    @Test
    void tooShortTooLongAndSilent() throws Exception {
        JsonObject p = assertProblem(embed(server, Wavs.mono(16000, new short[] {1000})), 422, "audio_too_short");
        assertTrue(p.getString("detail").contains("MIN_AUDIO_SECONDS"), p.toString());
        assertProblem(embed(server, Wavs.speechLike(0.09)), 422, "audio_too_short");
        p = assertProblem(embed(server, Wavs.speechLike(MAX_AUDIO_SECONDS + 1)), 422, "audio_too_long");
        assertTrue(p.getString("detail").contains("MAX_AUDIO_SECONDS"), p.toString());
        assertProblem(embed(server, input("silence_1s_16k_s16.wav")), 422, "audio_silent");
        assertProblem(embed(server, Wavs.mono(16000, new short[16000])), 422, "audio_silent");
    }

    @Test
    void oversizedUploadsAreRefusedWhileReading() throws Exception {
        byte[] big = Wavs.speechLike(MAX_REQUEST_BYTES / 32000.0 + 1);
        assertTrue(big.length > MAX_REQUEST_BYTES);
        JsonObject p = assertProblem(embed(server, big), 413, "request_too_large");
        assertTrue(p.getString("detail").contains("MAX_REQUEST_BYTES"), p.toString());
        assertProblem(ApiCalls.postChunked(server, "/v1/embeddings", "audio/wav", big), 413, "request_too_large");
        Multipart twoHalves = Multipart.of(Part.file("files", "a.wav", Wavs.cut(big, big.length / 2 + 100)),
                Part.file("files", "b.wav", Wavs.cut(big, big.length / 2 + 100)));
        assertProblem(ApiCalls.post(server, "/v1/embeddings", twoHalves), 413, "request_too_large");
        assertProblem(ApiCalls.postChunked(server, "/v1/embeddings", twoHalves.contentType(), twoHalves.body()), 413,
                "request_too_large");
        assertProblem(ApiCalls.postChunked(server, "/v1/verify/embeddings", "application/json", big), 413,
                "request_too_large");
        assertProblem(ApiCalls.postChunked(server, "/v1/verify", "application/json", big), 413, "request_too_large");
        // Right at the limit is fine: a short clip padded after its data chunk.
        byte[] atLimit = Wavs.padded(Wavs.speechLike(1), (int) MAX_REQUEST_BYTES);
        ok(embed(server, atLimit));
        ok(ApiCalls.postChunked(server, "/v1/embeddings", "audio/wav", atLimit));
    }

    @Test
    void tooManyFilesInABatch() throws Exception {
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i <= MAX_BATCH_SIZE; i++) {
            parts.add(Part.file("files", i + ".wav", input("chirp_1s.wav")));
        }
        JsonObject p = assertProblem(ApiCalls.post(server, "/v1/embeddings", Multipart.of(parts)), 413,
                "batch_too_large");
        assertTrue(p.getString("detail").contains("MAX_BATCH_SIZE"), p.toString());
    }

    @Test
    void aBadFileInABatchIsNamed() throws Exception {
        JsonObject p = assertProblem(ApiCalls.post(server, "/v1/embeddings", Multipart.of(
                Part.file("files", "good.wav", input("chirp_1s.wav")),
                Part.file("files", "bad.wav", Wavs.pcm16(0, 16000, 1, -1, new short[100])))), 400, "malformed_audio");
        assertTrue(p.getString("detail").startsWith("part 1 ('bad.wav'): "), p.toString());
    }

    @Test
    void wrongContentTypes() throws Exception {
        byte[] wav = input("chirp_1s.wav");
        for (String type : List.of("text/plain", "application/json", "audio/mpeg", "image/png")) {
            assertProblem(server.post("/v1/embeddings", type, wav), 415, "unsupported_media_type");
        }
        assertProblem(server.post("/v1/verify", "audio/wav", wav), 415, "unsupported_media_type");
        assertProblem(server.post("/v1/verify", "text/plain", "{}".getBytes()), 415, "unsupported_media_type");
        assertProblem(server.post("/v1/verify/embeddings", "text/plain", "{}".getBytes()), 415,
                "unsupported_media_type");
        assertProblem(ApiCalls.post(server, "/v1/verify/embeddings",
                Multipart.of(Part.file("a", "a.wav", wav), Part.file("b", "b.wav", wav))), 415,
                "unsupported_media_type");
    }

    @Test
    void unknownQueryOptionsAndValues() throws Exception {
        byte[] wav = input("chirp_1s.wav");
        for (String query : List.of("normalize=maybe", "unit_length=2", "normalise=true",
                "normalize=true&normalize=false", "normalize=1", "unit_length=yes", "normalize=0", "normalize=",
                "unit_length")) {
            assertProblem(server.post("/v1/embeddings?" + query, "audio/wav", wav), 400, "invalid_option");
        }
        assertProblem(ApiCalls.post(server, "/v1/embeddings?unit_length=yes%20please",
                Multipart.of(Part.file("files", "a.wav", wav))), 400, "invalid_option");
        Multipart pair = Multipart.of(Part.file("a", "a.wav", wav), Part.file("b", "b.wav", wav));
        byte[] embeddings = "{\"a\":[1,2],\"b\":[2,1]}".getBytes();
        for (String query : List.of("threshold=high", "threshold=1.5", "threshold=", "normalize=true")) {
            assertProblem(ApiCalls.post(server, "/v1/verify?" + query, pair), 400, "invalid_option");
            assertProblem(server.post("/v1/verify/embeddings?" + query, "application/json", embeddings), 400,
                    "invalid_option");
        }
        assertProblem(server.get("/v1/model?verbose=true"), 400, "invalid_option");
    }

    @Test
    void brokenMultipartBodies() throws Exception {
        byte[] wav = input("chirp_1s.wav");
        assertProblem(server.post("/v1/embeddings", "multipart/form-data", wav), 400, "invalid_multipart");
        assertProblem(server.post("/v1/embeddings", "multipart/form-data; boundary=xyz", "garbage".getBytes()), 400,
                "invalid_multipart");
        assertProblem(server.post("/v1/verify", "multipart/form-data; boundary=xyz", "garbage".getBytes()), 400,
                "invalid_multipart");
        assertProblem(ApiCalls.post(server, "/v1/verify", Multipart.of(Part.file("a", "a.wav", wav))), 400,
                "invalid_multipart");
        assertProblem(ApiCalls.post(server, "/v1/verify", Multipart.of(Part.file("a", "a.wav", wav),
                Part.file("b", "b.wav", wav), Part.file("c", "c.wav", wav))), 400, "invalid_multipart");
        assertProblem(ApiCalls.post(server, "/v1/verify", Multipart.of(Part.file("a", "a.wav", wav),
                Part.file("a", "a2.wav", wav))), 400, "invalid_multipart");
    }

    @Test
    void badVerificationJson() throws Exception {
        for (String body : List.of("{\"a\":[1,2]", "[]", "{\"a\":[1,2]}", "{\"a\":\"x\",\"b\":[1]}")) {
            assertProblem(server.post("/v1/verify/embeddings", "application/json", body.getBytes()), 400,
                    "invalid_json");
        }
        assertProblem(server.post("/v1/verify/embeddings", "application/json",
                "{\"a\":[1,2],\"b\":[1,2,3]}".getBytes()), 422, "invalid_embedding");
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        assertProblem(server.get("/v1/nothing"), 404, "not_found");
        assertProblem(server.get("/v1/embeddings"), 405, "method_not_allowed");
        assertProblem(server.get("/v1/verify/embeddings"), 405, "method_not_allowed");
        assertProblem(server.get("/error-page"), 404, "not_found");
    }

    /**
     * What the servlet layer refuses before JAX-RS (an Accept or Content-Type it cannot parse; RESTEasy answers
     * those with sendError) and RESTEasy's own parameter failures: problem+json with a fixed detail that names
     * neither our classes nor the raw input.
     */
    @Test
    void malformedHeadersAndEscapesAreProblemsToo() throws Exception {
        HttpResponse<String> badAccept = server.http().send(HttpRequest.newBuilder(server.uri("/v1/status"))
                .header("Accept", "///").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(badAccept, 400, "bad_request");
        HttpResponse<String> badType = server.post("/v1/embeddings", "///", input("speech_espeak_en.wav"));
        assertTrue(badType.statusCode() == 400 || badType.statusCode() == 415, badType.body());
        assertProblem(badType, badType.statusCode(), badType.statusCode() == 400 ? "bad_request"
                : "unsupported_media_type");
        for (HttpResponse<String> r : List.of(badAccept, badType)) {
            assertFalse(r.body().contains("RESTEASY") || r.body().contains("dev.speakerembedding"), r.body());
        }
        // java.net.URI refuses a bad escape, so this request goes over a plain socket.
        String badEscape = rawGet("/v1/speakers?limit=%zz");
        assertTrue(badEscape.startsWith("HTTP/1.1 400 "), badEscape);
        assertTrue(badEscape.contains("\"code\":\"bad_request\""), badEscape);
        assertTrue(badEscape.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/problem+json"),
                badEscape);
        assertFalse(badEscape.contains("RESTEASY") || badEscape.contains("dev.speakerembedding"), badEscape);
        assertEquals(200, server.get("/v1/status").statusCode(), "and the server serves on");
    }

    @Test
    void theServerKeepsServingAfterEveryKindOfBadRequest() throws Exception {
        truncatedWavs();
        oversizedUploadsAreRefusedWhileReading();
        brokenMultipartBodies();
        JsonObject body = ok(embed(server, input("speech_espeak_en.wav")));
        assertTrue(Npy.maxAbsDiff(speechbrain("speech_espeak_en"), embeddings(body).get(0)) <= 5e-5);
        assertFalse(server.allLogs().contains("Unexpected failure while answering a request"),
                "no client mistake reached the internal-error path");
    }
}
