package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.reliability.HubProxy.BodyFault;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 3 of the reliability issue, through one real server and a Hub that misbehaves in every way the issue names,
 * one after the other in a single first start: 503, 500, then 429 for a while; connections closed with no answer;
 * answers slower than the read timeout; then, while the files download, slow bodies, a body with a flipped byte,
 * a body cut short with an honest Content-Length, and a connection dropped mid-body. The service must retry with
 * backoff (never hammer the Hub), never hold a wrong byte under a final cache name (watched continuously), and
 * become ready by itself once the Hub behaves.
 */
class HubFaultsIT {

    @TempDir
    Path tmp;

    @Test
    void everyHubFaultIsRetriedWithBackoffNoWrongByteIsCachedAndTheServiceBecomesReadyByItself() throws Exception {
        Report report = new Report("item3-hub-faults");
        Fixtures.Model model = Fixtures.smallModel();
        Path cache = tmp.resolve("cache");
        Map<String, String> outcome = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        int[] faults = {0};
        try (HubStandIn hub = HubStandIn.start(); HubProxy proxy = HubProxy.http(hub);
             CacheAudit.Watcher watcher = new CacheAudit.Watcher(cache, model.cacheFolder())) {
            Fixtures.serve(hub, model);
            String ckptSha = hub.file(model.repoId(), "embedding_model.ckpt").sha256();
            Map<String, String> env = Fixtures.with(Fixtures.env(proxy.endpoint(), cache, model),
                    "DOWNLOAD_RETRIES", "2", "DOWNLOAD_READ_TIMEOUT_SECONDS", "2", "DOWNLOAD_CONNECT_TIMEOUT_SECONDS", "2");

            hub.failNext(1_000_000, 503);
            try (LibertyServer server = LibertyServer.start(env, tmp.resolve("server"))) {
                long faultsStarted = System.nanoTime();
                // Each phase lasts until the Hub has seen enough requests of it to show the retry pattern.
                int injected = phase(proxy, "503", r -> r.status() == 503, 4, outcome, problems);
                assertTrue(Fixtures.poll(() -> Fixtures.stateOf(server).equals("WAITING_TO_RETRY"), Duration.ofSeconds(60)),
                        "503s end an attempt, and the lifecycle waits to retry: " + Fixtures.stateOf(server));
                String error = Fixtures.errorOf(server);
                report.line("while the Hub fails, /v1/status says: %s", error.length() > 160 ? error.substring(0, 160) + "..." : error);
                hub.failNext(1_000_000, 500);
                injected += phase(proxy, "500", r -> r.status() == 500, 2, outcome, problems);
                hub.failNextWith429(1_000_000, 1);
                injected += phase(proxy, "429 (Retry-After: 1)", r -> r.status() == 429, 2, outcome, problems);

                // From here the Hub itself answers again, but through a path that drops and delays answers, then
                // damages bodies of the checkpoint (an LFS file from the CDN) in four different ways, in order.
                proxy.dropNext(2);
                proxy.delayNextAnswers(1, Duration.ofSeconds(3));
                hub.setSlowdown(Duration.ofMillis(20), 16 * 1024);
                proxy.nextBody(BodyFault.CORRUPT, 0, ckptSha);
                proxy.nextBody(BodyFault.TRUNCATE, 300_000, ckptSha);
                proxy.nextBody(BodyFault.CUT, 200_000, ckptSha);
                proxy.nextBody(BodyFault.CUT, 100_000, ckptSha);
                int before = proxy.log().size();
                hub.failNext(0, 500);
                long hubBack = System.nanoTime();
                server.awaitReady(Duration.ofSeconds(120));
                double readyAfter = (System.nanoTime() - hubBack) / 1e9;
                List<HubProxy.Logged> recovery = proxy.log().subList(before, proxy.log().size());

                injected += proxy.droppedCount() + proxy.delayedCount() + proxy.applied(BodyFault.CORRUPT)
                        + proxy.applied(BodyFault.TRUNCATE) + proxy.applied(BodyFault.CUT);
                faults[0] = injected;
                outcome.put("connection closed with no answer", proxy.droppedCount() + " injected, retried");
                outcome.put("answer slower than the 2 s read timeout", proxy.delayedCount() + " injected, timed out and retried");
                outcome.put("slow body (20 ms per 16 KiB)", "every body; completed");
                outcome.put("flipped byte (wrong hash)", proxy.applied(BodyFault.CORRUPT) + " injected, downloaded again");
                outcome.put("truncated body, honest Content-Length", proxy.applied(BodyFault.TRUNCATE) + " injected, resumed");
                outcome.put("connection dropped mid-body", proxy.applied(BodyFault.CUT) + " injected, resumed");
                long ranges = recovery.stream().filter(r -> r.range() != null).count();
                long ckptGets = recovery.stream().filter(r -> r.method().equals("GET") && r.path().contains(ckptSha)).count();
                report.line("after the Hub recovered: ready by itself in %.1f s, %d requests, %d checkpoint GETs (%d with"
                        + " Range)", readyAfter, recovery.size(), ckptGets, ranges);
                report.line("total time under faults: %.1f s", (System.nanoTime() - faultsStarted) / 1e9);
                if (proxy.pendingBodyFaults() != 0) {
                    problems.add(proxy.pendingBodyFaults() + " body faults were never reached");
                }
                if (ranges < 2) {
                    problems.add("expected the truncated and the cut body to be resumed with Range, saw " + ranges);
                }
            }
            watcher.close();
            CacheAudit.Result audit = new CacheAudit(cache, model.cacheFolder()).audit();
            Map<String, String> expected = new LinkedHashMap<>();
            for (String f : Fixtures.requiredFiles()) {
                expected.put(f, hub.file(model.repoId(), f).sha256());
            }
            List<String> content = new CacheAudit(cache, model.cacheFolder()).missingOrWrong(hub.commit(model.repoId()), expected);
            report.line("cache watched %d times during the run: %d wrong files under a final name %s", watcher.passes(),
                    watcher.violations().size(), watcher.violations());
            report.line("cache at the end: %s; snapshot content %s", audit, content.isEmpty() ? "exactly the Hub's" : content);
            outcome.forEach((fault, what) -> report.line("  %-42s %s", fault, what));
            int kinds = outcome.size();
            boolean survived = problems.isEmpty() && watcher.violations().isEmpty() && audit.clean() && content.isEmpty();
            report.line("faults tried: %d (%d kinds, plus every body slowed), survived: %d", faults[0], kinds,
                    survived ? faults[0] : 0);
            problems.forEach(p -> report.line("PROBLEM %s", p));
            report.write(problems.isEmpty() ? "PASS" : "FAIL");
            assertEquals(List.of(), watcher.violations(), "no wrong file ever held a final cache name");
            assertTrue(audit.clean(), audit.toString());
            assertEquals(0, audit.temps(), "no temp file left behind: " + audit);
            assertEquals(List.of(), content);
            assertEquals(List.of(), problems);
        }
    }

    /**
     * Waits until {@code count} requests matched {@code fault}, then checks they were spaced out: with backoff, no
     * two attempts at the same Hub come closer than 400 ms (the shortest jittered step is 500 ms).
     */
    private static int phase(HubProxy proxy, String name, Predicate<HubProxy.Logged> fault, int count,
            Map<String, String> outcome, List<String> problems) throws InterruptedException {
        int from = proxy.log().size();
        boolean reached = Fixtures.poll(() -> proxy.log().stream().skip(from).filter(fault).count() >= count,
                Duration.ofSeconds(180));
        List<HubProxy.Logged> seen = proxy.log().subList(from, proxy.log().size()).stream().filter(fault).toList();
        long minGapMs = Long.MAX_VALUE;
        for (int i = 1; i < seen.size(); i++) {
            minGapMs = Math.min(minGapMs, (seen.get(i).nanos() - seen.get(i - 1).nanos()) / 1_000_000);
        }
        double seconds = seen.size() < 2 ? 0 : (seen.get(seen.size() - 1).nanos() - seen.get(0).nanos()) / 1e9;
        outcome.put(name, String.format("%d answered over %.1f s, closest two attempts %d ms apart", seen.size(),
                seconds, minGapMs == Long.MAX_VALUE ? -1 : minGapMs));
        if (!reached) {
            problems.add(name + ": only " + seen.size() + " requests within 180 s");
        }
        if (minGapMs < 400) {
            problems.add(name + ": two attempts only " + minGapMs + " ms apart (no backoff)");
        }
        return seen.size();
    }
}
