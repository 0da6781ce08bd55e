package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 2 of the reliability issue (long suite): two real Liberty processes start at the same moment on one empty
 * cache directory, with the full-size model when this machine has it, in several rounds. Both must become ready;
 * each file may be downloaded once, or at worst twice, never corrupted: a watcher hashes every final name
 * throughout, and at the end the cache holds exactly the Hub's files and no temp file.
 */
class SharedCacheRaceScenario {

    private static final int ROUNDS = Integer.getInteger("reliability.race.rounds", 3);

    @TempDir
    Path tmp;

    @Test
    void twoServersOnOneEmptyCacheBothBecomeReadyEachFileDownloadedAtMostTwiceNeverCorrupted() throws Exception {
        Report report = new Report("item2-shared-cache-race");
        Fixtures.Model model = Fixtures.largestModel();
        List<String> problems = new ArrayList<>();
        int survived = 0;
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            Map<String, String> expected = new LinkedHashMap<>();
            for (String f : Fixtures.requiredFiles()) {
                expected.put(f, hub.file(model.repoId(), f).sha256());
            }
            report.line("model %s (%s), %d rounds", model.repoId(), model.isFull() ? "full size" : "small", ROUNDS);
            for (int round = 1; round <= ROUNDS; round++) {
                Path cache = tmp.resolve("shared-" + round);
                hub.clearRequests();
                // Bodies at ~30 MB/s, so that the two downloads overlap instead of one finishing before the other asks.
                hub.setSlowdown(Duration.ofMillis(2), 64 * 1024);
                List<String> roundProblems = new ArrayList<>();
                String readiness;
                try (CacheAudit.Watcher watcher = new CacheAudit.Watcher(cache, model.cacheFolder());
                     LibertyServer a = LibertyServer.start(Fixtures.env(hub.endpoint(), cache, model), tmp.resolve("a-" + round));
                     LibertyServer b = LibertyServer.start(Fixtures.env(hub.endpoint(), cache, model), tmp.resolve("b-" + round))) {
                    long t0 = System.nanoTime();
                    CompletableFuture<String> readyA = CompletableFuture.supplyAsync(() -> awaitReady(a, t0));
                    CompletableFuture<String> readyB = CompletableFuture.supplyAsync(() -> awaitReady(b, t0));
                    readiness = "A " + readyA.get() + ", B " + readyB.get();
                    if (readiness.contains("NOT")) {
                        roundProblems.add(readiness);
                    }
                    watcher.close();
                    if (!watcher.violations().isEmpty()) {
                        roundProblems.add("wrong final names seen: " + watcher.violations());
                    }
                }
                Map<String, Long> downloads = new LinkedHashMap<>();
                for (String f : Fixtures.requiredFiles()) {
                    HubStandIn.RepoFile file = hub.file(model.repoId(), f);
                    long n = hub.requests().stream().filter(r -> r.method().equals("GET") && r.status() / 100 == 2
                            && (r.path().endsWith("/" + f) || r.path().contains(file.sha256()))).count();
                    downloads.put(f, n);
                    if (n > 2) {
                        roundProblems.add(f + " downloaded " + n + " times");
                    }
                }
                CacheAudit.Result audit = new CacheAudit(cache, model.cacheFolder()).audit();
                List<String> content = new CacheAudit(cache, model.cacheFolder()).missingOrWrong(hub.commit(model.repoId()), expected);
                if (!audit.clean() || !content.isEmpty() || audit.temps() != 0) {
                    roundProblems.add("cache " + audit + " " + content);
                }
                report.line("round %d: %s; downloads per file %s; cache: %s", round, readiness, downloads, audit);
                if (roundProblems.isEmpty()) {
                    survived++;
                }
                problems.addAll(roundProblems.stream().map(p -> "round " + p).toList());
            }
        }
        report.line("faults tried: %d races of two servers, survived: %d", ROUNDS, survived);
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    private static String awaitReady(LibertyServer server, long t0) {
        try {
            server.awaitReady(Fixtures.READY_TIMEOUT);
            return String.format("ready after %.1f s", (System.nanoTime() - t0) / 1e9);
        } catch (Throwable e) {
            return "NOT ready: " + Fixtures.stateOf(server) + " " + Fixtures.errorOf(server);
        }
    }
}
