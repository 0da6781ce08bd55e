package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.hub.CorruptCacheException;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 5 of the reliability issue, as the start-up code sees it (no server: the same {@code ModelFetcher.ensure}
 * and {@code EcapaModel.convert} the lifecycle runs at every start): every cached file of the model, and the
 * converted ONNX graph, truncated or with one bit flipped while nothing runs. Each must be detected by the next
 * start; offline the error names the file, online it is downloaded (or converted) again. The server-level
 * counterparts are {@link CorruptCacheAtRestIT} and, for the whole matrix, {@code CorruptCacheAtRestScenario}.
 */
class CorruptCacheAtRestTest {

    static final String ONNX = "converted model.onnx";

    @TempDir
    Path tmp;

    @Test
    void everyFileTruncatedOrBitFlippedIsDetectedAtTheNextStartAndRepairedOnline() throws Exception {
        Report report = new Report("item5-corrupt-at-rest-in-process");
        Fixtures.Model model = Fixtures.smallModel();
        RepoRef ref = new RepoRef(model.repoId(), "main");
        List<String> targets = new ArrayList<>(Fixtures.requiredFiles());
        targets.add(ONNX);
        List<String> problems = new ArrayList<>();
        int tried = 0;
        int detected = 0;
        int repaired = 0;
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            Path golden = tmp.resolve("golden");
            Path snapshotDir = Fixtures.fillCache(hub.endpoint(), golden, model).snapshotDir();
            EcapaModel.convert(snapshotDir, golden.resolve(".onnx"));
            Map<String, String> expected = new LinkedHashMap<>();
            for (String f : Fixtures.requiredFiles()) {
                expected.put(f, hub.file(model.repoId(), f).sha256());
            }
            HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(5),
                    Duration.ofSeconds(10), 2, Duration.ofSeconds(5));
            long seed = 1;
            for (String target : targets) {
                for (Corruption corruption : Corruption.values()) {
                    tried++;
                    Path cache = tmp.resolve("case-" + tried);
                    Corruption.copyTree(golden, cache);
                    Path caseSnapshot = cache.resolve(golden.relativize(snapshotDir).toString());
                    Path file = target.equals(ONNX) ? onnxFile(cache) : caseSnapshot.resolve(target);
                    String what = corruption.apply(file, seed++);
                    String result;
                    if (target.equals(ONNX)) {
                        // The conversion cache is checked against its sidecar's sha256 at every load.
                        ConversionInfo info = EcapaModel.convert(caseSnapshot, cache.resolve(".onnx"));
                        boolean intact = new CacheAudit(cache, model.cacheFolder()).audit().clean();
                        if (info.convertedNow() && intact) {
                            detected++;
                            repaired++;
                            result = "detected, converted again";
                        } else {
                            result = "NOT detected (reused: " + !info.convertedNow() + ")";
                            problems.add(target + " " + corruption + ": " + result);
                        }
                    } else {
                        String offline;
                        try {
                            new ModelFetcher(new HubCache(cache), null, DownloadListener.none()).ensure(ref, Fixtures.FORMAT, true);
                            offline = "NOT detected offline";
                            problems.add(target + " " + corruption + ": " + offline);
                        } catch (CorruptCacheException e) {
                            if (target.equals(e.fileName()) && e.getMessage().contains(target)) {
                                detected++;
                                offline = "named offline";
                            } else {
                                offline = "offline error names " + e.fileName();
                                problems.add(target + " " + corruption + ": " + offline);
                            }
                        }
                        hub.clearRequests();
                        new ModelFetcher(new HubCache(cache), new HubClient(settings), DownloadListener.none())
                                .ensure(ref, Fixtures.FORMAT, false);
                        List<String> content = new CacheAudit(cache, model.cacheFolder())
                                .missingOrWrong(hub.commit(model.repoId()), expected);
                        boolean refetched = hub.requests().stream().anyMatch(r -> r.method().equals("GET")
                                && (r.path().endsWith("/" + target) || r.path().contains(hub.file(model.repoId(), target).sha256())));
                        if (content.isEmpty() && refetched && new CacheAudit(cache, model.cacheFolder()).audit().clean()) {
                            repaired++;
                            result = offline + ", downloaded again online";
                        } else {
                            result = offline + ", online repair failed: " + content + " refetched=" + refetched;
                            problems.add(target + " " + corruption + ": " + result);
                        }
                    }
                    report.line("%-24s %-9s %-62s %s", target, corruption, what, result);
                }
            }
        }
        report.line("faults tried: %d, detected at the next start: %d, repaired: %d", tried, detected, repaired);
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
        assertEquals(tried, detected);
    }

    static Path onnxFile(Path cache) throws Exception {
        try (Stream<Path> files = Files.walk(cache.resolve(".onnx"))) {
            return files.filter(p -> p.getFileName().toString().equals("model.onnx")).findFirst().orElseThrow();
        }
    }
}
