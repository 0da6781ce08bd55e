package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/model reports the sizes and sha256 the cache verified when the model loaded, and reads no file to answer:
 * files changed on disk after the load (before anyone asked for the description) do not change it. A description
 * that hashed the files on the request thread would report the changed ones.
 */
class ModelDescriptionIT {

    @TempDir
    Path tmp;

    @Test
    void theDescriptionReportsTheFilesAsVerifiedAtLoadEvenAfterTheyChangeOnDisk() throws Exception {
        Fixtures.Model model = Fixtures.smallModel();
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            Path snapshot = Fixtures.fillCache(hub.endpoint(), cache, model).snapshotDir();
            try (LibertyServer server = Fixtures.startReady(Fixtures.env(hub.endpoint(), cache, model),
                    tmp.resolve("server"))) {
                // Through the snapshot links into the blobs: one file shorter, one with a bit flipped.
                Corruption.TRUNCATE.apply(snapshot.resolve("classifier.ckpt"), 1);
                Corruption.FLIP_BIT.apply(snapshot.resolve("hyperparams.yaml"), 2);
                assertNotEquals(hub.file(model.repoId(), "classifier.ckpt").content().length,
                        Files.size(snapshot.resolve("classifier.ckpt")), "the damage took");

                HttpResponse<String> response = server.get("/v1/model");
                assertEquals(200, response.statusCode(), response.body());
                JsonObject body = Fixtures.json(response.body());
                Map<String, String> reported = new LinkedHashMap<>();
                for (JsonObject file : body.getJsonArray("files").getValuesAs(JsonObject.class)) {
                    reported.put(file.getString("name"),
                            file.getJsonNumber("size_bytes").longValueExact() + " " + file.getString("sha256"));
                }
                Map<String, String> verifiedAtLoad = new LinkedHashMap<>();
                for (String name : Fixtures.requiredFiles()) {
                    HubStandIn.RepoFile file = hub.file(model.repoId(), name);
                    verifiedAtLoad.put(name, file.content().length + " " + file.sha256());
                }
                assertEquals(verifiedAtLoad, reported);
                assertEquals(List.copyOf(verifiedAtLoad.keySet()), List.copyOf(reported.keySet()), "in format order");
                assertEquals(hub.file(model.repoId(), "embedding_model.ckpt").sha256(),
                        body.getJsonObject("conversion").getString("checkpoint_sha256"));
                assertEquals("speechbrain-ecapa", body.getString("format"));
            }
        }
    }
}
