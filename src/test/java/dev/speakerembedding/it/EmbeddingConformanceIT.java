package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * speechbrain's own numbers through the running server: the small conformance model is downloaded from the Hub
 * stand-in in speechbrain's repo form, converted and served; every conformance input is posted as a WAV file.
 */
class EmbeddingConformanceIT {

    private static final double MAX_ABS = 5e-5;
    private static final double MIN_COSINE = 0.99999;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        tmp = Files.createTempDirectory("embedding-it");
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        server = ServerTestSupport.startReady(env(hub, tmp.resolve("cache")), tmp.resolve("server"));
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

    static List<String> speechInputs() throws Exception {
        try (Stream<Path> files = Files.list(Npy.conformanceDir().resolve("inputs"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wav"))
                    .filter(n -> !n.startsWith("silence")).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("speechInputs")
    void serverEmbeddingEqualsSpeechbrain(String input) throws Exception {
        String stem = input.substring(0, input.length() - 4);
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(input));
        for (boolean normalize : new boolean[] {false, true}) {
            HttpResponse<String> r = server.post("/v1/embeddings" + (normalize ? "?normalize=true" : ""), "audio/wav", wav);
            assertEquals(200, r.statusCode(), r.body());
            JsonObject body = json(r.body());
            assertEquals(32, body.getInt("dimension"));
            JsonObject item = body.getJsonArray("data").getJsonObject(0);
            float[] actual = toFloats(item.getJsonArray("embedding"));
            String suffix = normalize ? ".embedding_normalize_true.npy" : ".embedding.npy";
            float[] expected = Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(stem + suffix)).data();
            double maxAbs = Npy.maxAbsDiff(expected, actual);
            double cosine = Npy.cosine(expected, actual);
            System.out.printf("server %-40s normalize=%-5s max|diff|=%.2e cosine=%.8f%n", input, normalize, maxAbs, cosine);
            assertTrue(maxAbs <= MAX_ABS, input + " normalize=" + normalize + ": max abs diff " + maxAbs);
            assertTrue(cosine >= MIN_COSINE, input + " normalize=" + normalize + ": cosine " + cosine);
        }
    }

    @Test
    void unitLengthOptionGivesNormOne() throws Exception {
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/speech_espeak_en.wav"));
        HttpResponse<String> r = server.post("/v1/embeddings?unit_length=true", "audio/wav", wav);
        assertEquals(200, r.statusCode(), r.body());
        float[] v = toFloats(json(r.body()).getJsonArray("data").getJsonObject(0).getJsonArray("embedding"));
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        assertEquals(1.0, Math.sqrt(sum), 1e-5);
    }

    @Test
    void digitalSilenceIsRefusedAsMeaningless() throws Exception {
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/silence_1s_16k_s16.wav"));
        HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", wav);
        assertEquals(422, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals("audio_silent", json(r.body()).getString("code"));
    }

    @Test
    void malformedAudioAndBadOptionsAreClear4xx() throws Exception {
        HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", "RIFF....WAVEjunk".getBytes());
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("malformed_audio", json(r.body()).getString("code"));
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/chirp_1s.wav"));
        r = server.post("/v1/embeddings?normalize=maybe", "audio/wav", wav);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid_option", json(r.body()).getString("code"));
        r = server.post("/v1/embeddings", "text/plain", wav);
        assertEquals(415, r.statusCode(), r.body());
        // The server still answers correctly afterwards.
        assertEquals(200, server.post("/v1/embeddings", "audio/wav", wav).statusCode());
    }

    private static float[] toFloats(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.getJsonNumber(i).doubleValue();
        }
        return out;
    }
}
