package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 5 of the reliability issue, the whole matrix through real servers (long suite): each of the model's five
 * cached files and the converted ONNX graph, truncated or with one bit flipped while the server is stopped, then
 * an offline start (no Hub to hide behind). A damaged Hub file must keep the server unready with an error naming
 * it; a damaged graph must be converted again and serve speechbrain's numbers. The two damages of one file run
 * as two servers at once.
 */
class CorruptCacheAtRestScenario {

    @TempDir
    Path tmp;

    @Test
    void everyFileTruncatedOrBitFlippedIsDetectedByAnOfflineStart() throws Exception {
        Report report = new Report("item5-corrupt-at-rest-matrix");
        Fixtures.Model model = Fixtures.smallModel();
        Fixtures.Reference reference = Fixtures.Reference.of("speech_espeak_en");
        List<String> targets = new ArrayList<>(Fixtures.requiredFiles());
        targets.add(CorruptCacheAtRestTest.ONNX);
        List<String> problems = new ArrayList<>();
        int tried = 0;
        int detected = 0;
        Path golden = tmp.resolve("golden");
        Path snapshot;
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            snapshot = Fixtures.fillCache(hub.endpoint(), golden, model).snapshotDir();
        }
        EcapaModel.convert(snapshot, golden.resolve(".onnx"));
        long seed = 100;
        for (String target : targets) {
            List<LibertyServer> servers = new ArrayList<>();
            List<String> damage = new ArrayList<>();
            try {
                for (Corruption corruption : Corruption.values()) {
                    Path cache = tmp.resolve(target.replaceAll("\\W", "_") + "-" + corruption);
                    Corruption.copyTree(golden, cache);
                    Path file = target.equals(CorruptCacheAtRestTest.ONNX) ? CorruptCacheAtRestTest.onnxFile(cache)
                            : cache.resolve(golden.relativize(snapshot).toString()).resolve(target);
                    damage.add(corruption.apply(file, seed++));
                    servers.add(LibertyServer.start(Fixtures.env(null, cache, model), tmp.resolve("server-" + cache.getFileName())));
                }
                for (int i = 0; i < servers.size(); i++) {
                    LibertyServer server = servers.get(i);
                    tried++;
                    String outcome;
                    boolean ok;
                    if (target.equals(CorruptCacheAtRestTest.ONNX)) {
                        server.awaitReady(Fixtures.READY_TIMEOUT);
                        HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", reference.wav());
                        ok = r.statusCode() == 200;
                        if (ok) {
                            Fixtures.assertEmbedding(reference.embedding(), r.body());
                        }
                        outcome = ok ? "converted again, right embedding" : "answered " + r.statusCode();
                    } else {
                        server.awaitResponse("/health/ready", r -> r.statusCode() == 503 && r.body().contains("corrupt"),
                                Fixtures.READY_TIMEOUT);
                        String error = Fixtures.errorOf(server);
                        ok = error.contains("Cached file " + target) && !Fixtures.stateOf(server).equals("READY");
                        outcome = ok ? "unready, error names it" : "NOT named: " + error;
                    }
                    if (ok) {
                        detected++;
                    } else {
                        problems.add(target + " " + damage.get(i) + ": " + outcome);
                    }
                    report.line("%-22s %-62s offline start: %s", target, damage.get(i), outcome);
                }
            } finally {
                for (LibertyServer s : servers) {
                    s.kill();
                }
            }
        }
        report.line("faults tried: %d, detected at the next (offline) start: %d", tried, detected);
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }
}
