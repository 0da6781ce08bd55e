package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 5 of the reliability issue through a real server: while no server runs, the checkpoint's blob is
 * truncated, one bit of hyperparams.yaml's blob is flipped and one bit of the converted ONNX graph is flipped. The
 * next start must name both damaged files, download exactly those again, convert again, and then compute
 * speechbrain's numbers. (A flipped byte seen offline is {@code it/ModelCacheLifecycleIT}'s; every file and both
 * kinds of damage, offline, are {@link CorruptCacheAtRestScenario}'s.)
 */
class CorruptCacheAtRestIT {

    @TempDir
    Path tmp;

    @Test
    void truncatedAndBitFlippedFilesAreNamedAtTheNextStartDownloadedAgainAndServeTheRightNumbers() throws Exception {
        Report report = new Report("item5-corrupt-at-rest-server");
        Fixtures.Model model = Fixtures.smallModel();
        Path cache = tmp.resolve("cache");
        List<String> problems = new ArrayList<>();
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            Path snapshot = Fixtures.fillCache(hub.endpoint(), cache, model).snapshotDir();
            EcapaModel.convert(snapshot, cache.resolve(".onnx"));
            Path onnx = CorruptCacheAtRestTest.onnxFile(cache);
            Map<String, String> damage = new LinkedHashMap<>();
            damage.put("embedding_model.ckpt", Corruption.TRUNCATE.apply(snapshot.resolve("embedding_model.ckpt"), 11));
            damage.put("hyperparams.yaml", Corruption.FLIP_BIT.apply(snapshot.resolve("hyperparams.yaml"), 12));
            damage.put("model.onnx", Corruption.FLIP_BIT.apply(onnx, 13));
            String damagedOnnx = CacheAudit.sha256(onnx);
            hub.clearRequests();

            try (LibertyServer server = Fixtures.startReady(Fixtures.env(hub.endpoint(), cache, model), tmp.resolve("server"))) {
                String logs = server.allLogs();
                for (String file : List.of("embedding_model.ckpt", "hyperparams.yaml")) {
                    boolean named = logs.lines().anyMatch(l -> l.contains("Cached file " + file) && l.contains("is corrupt"));
                    boolean fetched = hub.requests().stream().anyMatch(r -> r.method().equals("GET")
                            && (r.path().endsWith("/" + file) || r.path().contains(hub.file(model.repoId(), file).sha256())));
                    report.line("%-22s %-60s named at start: %s, downloaded again: %s", file, damage.get(file), named, fetched);
                    if (!named || !fetched) {
                        problems.add(file + ": named " + named + ", downloaded again " + fetched);
                    }
                }
                boolean untouchedRefetched = hub.requests().stream().anyMatch(r -> r.method().equals("GET")
                        && r.path().endsWith("/label_encoder.txt"));
                report.line("intact files downloaded again: %s", untouchedRefetched);
                if (untouchedRefetched) {
                    problems.add("an intact file was downloaded again");
                }
                boolean reconverted = !damagedOnnx.equals(CacheAudit.sha256(onnx));
                report.line("%-22s %-60s converted again: %s", "model.onnx", damage.get("model.onnx"), reconverted);
                if (!reconverted) {
                    problems.add("the damaged ONNX graph was used as is");
                }
                Fixtures.Reference reference = Fixtures.Reference.of("speech_espeak_en");
                HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", reference.wav());
                assertEquals(200, r.statusCode(), r.body());
                Fixtures.assertEmbedding(reference.embedding(), r.body());
                report.line("after the repair the server computes speechbrain's embedding of %s", reference.name());
            }
            CacheAudit.Result audit = new CacheAudit(cache, model.cacheFolder()).audit();
            report.line("cache afterwards: %s", audit);
            report.line("faults tried: 3, detected and repaired: %d", 3 - problems.size());
            report.write(problems.isEmpty() ? "PASS" : "FAIL");
            assertTrue(audit.clean(), audit.toString());
            assertNotEquals(0, audit.finalBlobs());
            assertEquals(List.of(), problems);
        }
    }
}
