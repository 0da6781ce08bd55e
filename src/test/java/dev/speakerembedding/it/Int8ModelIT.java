package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MODEL_PRECISION=int8 through a real server: the small conformance model is converted to its int8 graph, /v1/model
 * and /v1/status say int8, and the embeddings stay within cosine 0.999 of speechbrain's float32 ones.
 */
class Int8ModelIT {

    private static final double MIN_COSINE = 0.999;

    private static HubStandIn hub;
    private static LibertyServer server;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> env = new HashMap<>(env(hub, tmp.resolve("cache")));
        env.put("MODEL_PRECISION", "int8");
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

    @Test
    void modelAndStatusSayInt8AndTheGraphIsTheInt8Entry() throws Exception {
        HttpResponse<String> r = server.get("/v1/model");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject model = json(r.body());
        assertEquals("int8", model.getString("precision"));
        String onnx = model.getJsonObject("conversion").getString("onnx_file");
        assertTrue(onnx.endsWith("-int8/model.onnx"), onnx);
        r = server.get("/v1/status");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("int8", json(r.body()).getString("precision"));
    }

    @Test
    void embeddingsStayWithinCosine0999OfFloat32() throws Exception {
        int compared = 0;
        for (String input : EmbeddingConformanceIT.speechInputs()) {
            String stem = input.substring(0, input.length() - 4);
            byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(input));
            HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", wav);
            assertEquals(200, r.statusCode(), r.body());
            float[] actual = ApiCalls.floats(json(r.body()).getJsonArray("data").getJsonObject(0)
                    .getJsonArray("embedding"));
            // speechbrain's float32 output, which the float32 graph reproduces to cosine 0.99999.
            float[] float32 = Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(stem
                    + ".embedding.npy")).data();
            double cosine = Npy.cosine(float32, actual);
            System.out.printf("server int8 %-40s cosine to float32 %.6f%n", input, cosine);
            assertTrue(Npy.cosineAtLeast(cosine, MIN_COSINE), input + ": cosine " + cosine);
            compared++;
        }
        assertTrue(compared >= 10, "compared " + compared + " inputs");
    }
}
