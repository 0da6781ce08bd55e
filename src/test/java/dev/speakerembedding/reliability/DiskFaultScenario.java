package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Mounts;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 4 of the reliability issue, on real mounts (long suite; skipped with the reason where mounting is not
 * permitted):
 *
 * <ul>
 *   <li>a read-only cache volume (bind mount remounted ro) holding a complete model, with and without its
 *       converted ONNX graph, online and offline: the service starts and serves, and the volume is unchanged;
 *   <li>a nearly full file system (a small tmpfs with a ballast file): once with too little room for the
 *       checkpoint, once with room for the downloads but not for the converted graph. The error must say the disk
 *       is full, nothing partial may remain, and the service must recover by itself once the ballast is deleted.
 * </ul>
 */
class DiskFaultScenario {

    @TempDir
    Path tmp;

    @Test
    void readOnlyCacheWithACompleteModelStartsAndServesOnlineAndOffline() throws Exception {
        Report report = new Report("item4-read-only-cache");
        Fixtures.Model model = Fixtures.smallModel();
        Fixtures.Reference reference = Fixtures.Reference.of("speech_espeak_en");
        List<String> problems = new ArrayList<>();
        int tried = 0;
        try (HubStandIn hub = HubStandIn.start(); Mounts mounts = Mounts.skippingWhenNotPermitted()) {
            Fixtures.serve(hub, model);
            Path withGraph = tmp.resolve("with-graph");
            Path snapshot = Fixtures.fillCache(hub.endpoint(), withGraph, model).snapshotDir();
            EcapaModel.convert(snapshot, withGraph.resolve(".onnx"));
            Path hubOnly = tmp.resolve("hub-files-only");
            Fixtures.fillCache(hub.endpoint(), hubOnly, model);
            for (Path source : List.of(withGraph, hubOnly)) {
                Path ro = mounts.readOnlyBind(source, tmp.resolve("ro-" + source.getFileName()));
                Map<String, String> before = listing(source);
                for (boolean offline : new boolean[] {false, true}) {
                    tried++;
                    String what = "read-only cache (" + source.getFileName() + "), " + (offline ? "offline" : "online");
                    Map<String, String> env = Fixtures.env(offline ? null : hub.endpoint(), ro, model);
                    Path out = tmp.resolve("server-" + tried);
                    try (LibertyServer server = LibertyServer.start(env, out)) {
                        boolean ready = awaitReadyOrSettled(server);
                        if (ready) {
                            HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", reference.wav());
                            boolean right = r.statusCode() == 200;
                            if (right) {
                                Fixtures.assertEmbedding(reference.embedding(), r.body());
                            }
                            report.line("%-50s ready, embedding %s", what, right ? "right" : r.statusCode() + " " + r.body());
                            if (!right) {
                                problems.add(what + ": embedding answered " + r.statusCode());
                            }
                        } else {
                            report.line("%-50s NOT ready: %s %s", what, Fixtures.stateOf(server), Fixtures.errorOf(server));
                            problems.add(what + ": " + Fixtures.stateOf(server) + " " + Fixtures.errorOf(server));
                        }
                    }
                }
                if (!before.equals(listing(source))) {
                    problems.add("the read-only volume changed: " + source);
                }
            }
        }
        report.line("faults tried: %d, survived (ready and serving): %d", tried, tried - problems.size());
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    @Test
    void nearlyFullDiskFailsClearlyLeavesNothingPartialAndRecoversOnceSpaceIsFreed() throws Exception {
        Report report = new Report("item4-full-disk");
        Fixtures.Model model = Fixtures.smallModel();
        List<String> problems = new ArrayList<>();
        long ckpt = Files.size(model.dir().resolve("embedding_model.ckpt"));
        // Free space left by the ballast: too little for the checkpoint; then enough for every download (~0.8 MB)
        // but not for the converted graph (~0.7 MB more).
        long[] freeBytes = {ckpt / 2, ckpt + 96 * 1024};
        String[] what = {"no room for the checkpoint", "room for the downloads, not for the ONNX graph"};
        int tried = 0;
        try (HubStandIn hub = HubStandIn.start(); Mounts mounts = Mounts.skippingWhenNotPermitted()) {
            Fixtures.serve(hub, model);
            for (int i = 0; i < freeBytes.length; i++) {
                tried++;
                Path volume = mounts.tmpfs(tmp.resolve("volume-" + i), "4m");
                Path cache = volume.resolve("cache");
                Path ballast = volume.resolve("ballast");
                fill(ballast, Files.getFileStore(volume).getUsableSpace() - freeBytes[i]);
                report.line("%s: tmpfs of 4 MiB, %d KB free", what[i], Files.getFileStore(volume).getUsableSpace() >> 10);
                try (LibertyServer server = LibertyServer.start(Fixtures.env(hub.endpoint(), cache, model),
                        tmp.resolve("server-" + i))) {
                    boolean failed = Fixtures.poll(() -> Fixtures.errorOf(server).contains("No space left on device"),
                            Fixtures.READY_TIMEOUT);
                    String error = Fixtures.errorOf(server);
                    String state = Fixtures.stateOf(server);
                    List<String> partial = partialFiles(cache);
                    report.line("  full: state %s, error: %s", state, error);
                    report.line("  partial files left while full: %s", partial);
                    if (!failed) {
                        problems.add(what[i] + ": no 'No space left on device' error (" + state + ": " + error + ")");
                    }
                    if (!partial.isEmpty()) {
                        problems.add(what[i] + ": partial files remain " + partial);
                    }
                    Files.delete(ballast);
                    long freed = System.nanoTime();
                    boolean recovered = Fixtures.poll(() -> Fixtures.stateOf(server).equals("READY"), Duration.ofSeconds(120));
                    report.line("  ballast deleted: %s", recovered
                            ? String.format("ready by itself %.1f s later", (System.nanoTime() - freed) / 1e9)
                            : "NOT ready after 120 s (" + Fixtures.stateOf(server) + ": " + Fixtures.errorOf(server) + ")");
                    if (!recovered) {
                        problems.add(what[i] + ": did not recover once space was freed (" + Fixtures.stateOf(server) + ")");
                    }
                }
                CacheAudit.Result audit = new CacheAudit(cache, model.cacheFolder()).audit();
                report.line("  cache afterwards: %s", audit);
                if (!audit.clean()) {
                    problems.add(what[i] + ": " + audit);
                }
            }
        }
        report.line("faults tried: %d, survived (clear error, nothing partial, recovered): %d", tried,
                tried - (int) problems.stream().map(p -> p.substring(0, p.indexOf(':'))).distinct().count());
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    /** READY, or a state that will not change by itself soon enough (FAILED, or waiting with an error). */
    private static boolean awaitReadyOrSettled(LibertyServer server) throws Exception {
        server.awaitStarted();
        Fixtures.poll(() -> {
            String state = Fixtures.stateOf(server);
            return state.equals("READY") || state.equals("FAILED")
                    || (state.equals("WAITING_TO_RETRY") && !Fixtures.errorOf(server).isEmpty());
        }, Fixtures.READY_TIMEOUT);
        return Fixtures.stateOf(server).equals("READY");
    }

    private static void fill(Path file, long bytes) throws IOException {
        byte[] chunk = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = Math.max(0, bytes); left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
    }

    /** Temp files of the Hub cache and the ONNX store, and graphs without their sidecar. */
    private static List<String> partialFiles(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(cache)) {
            return files.filter(Files::isRegularFile).map(p -> cache.relativize(p).toString())
                    .filter(n -> n.endsWith(".incomplete") || n.endsWith(".tmp") || n.contains("/.tmp-")
                            || n.startsWith(".tmp-")).toList();
        }
    }

    /** Relative path to size and modification time of every file (what "unchanged" means for a volume). */
    private static Map<String, String> listing(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                out.put(dir.relativize(p).toString(), Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }
}
