package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.READY_TIMEOUT;
import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.assertBlobsIntact;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.fillCache;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.offline;
import static dev.speakerembedding.it.ServerTestSupport.repoDir;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static dev.speakerembedding.it.ServerTestSupport.sha256;
import static dev.speakerembedding.it.ServerTestSupport.startReady;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's cache lifecycle, through real Liberty processes and a real HTTP Hub stand-in on loopback.
 */
class ModelCacheLifecycleIT {

    @TempDir
    Path tmp;

    @Test
    void firstStartDownloadsInHubLayoutAndRestartLoadsWithHubStopped() throws Exception {
        Path cache = tmp.resolve("cache");
        HubStandIn hub = HubStandIn.start();
        String commit = serveSmallModel(hub, false);
        try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("run1"))) {
            JsonObject status = json(server.get("/v1/status").body());
            assertEquals("healthy", status.getString("status"));
            assertTrue(status.getBoolean("model_loaded"));
            assertTrue(status.getBoolean("model_cached"));
            assertFalse(status.getBoolean("offline_mode"));
            assertEquals("cpu", status.getString("device"));
            assertEquals(REPO, status.getString("model_name"));
            assertEquals(cache.toString(), status.getString("cache_dir"));
            assertTrue(server.allLogs().contains("✓ Model pre-loaded successfully"), "seed's log line");
            JsonObject ready = checkData(server.get("/health/ready").body());
            assertEquals(commit, ready.getString("commit"));
            assertEquals("READY", ready.getString("state"));
        }
        // huggingface_hub's layout: refs/main, relative symlinks into blobs named by etag.
        Path repo = repoDir(cache);
        assertEquals(commit, Files.readString(repo.resolve("refs/main")).trim());
        for (String file : ServerTestSupport.requiredFiles()) {
            Path link = repo.resolve("snapshots").resolve(commit).resolve(file);
            assertTrue(Files.isSymbolicLink(link), file + " is a symlink");
            Path target = Files.readSymbolicLink(link);
            assertFalse(target.isAbsolute(), "relative like huggingface_hub's: " + target);
            assertEquals("../../blobs/" + hub.file(REPO, file).etag(), target.toString());
        }
        String ckptEtag = hub.file(REPO, "embedding_model.ckpt").etag();
        assertTrue(ckptEtag.matches("[0-9a-f]{64}"), "the checkpoint is an LFS file");
        assertEquals(ckptEtag, sha256(repo.resolve("blobs").resolve(ckptEtag)));
        assertBlobsIntact(cache, hub);
        assertTrue(hub.requests(HubStandIn.CDN).size() >= 1, "LFS files came through the CDN redirect");

        // Hub down (connections refused): a restart must load from the cache without any request.
        hub.stop();
        try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("run2"))) {
            JsonObject data = checkData(server.get("/health/ready").body());
            assertTrue(data.getBoolean("model_loaded"));
            assertEquals(commit, data.getString("commit"));
        }
    }

    @Test
    void restartWithCachedModelMakesNoRequestEvenWithHubUp() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            fillCache(hub, cache);
            hub.clearRequests();
            try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("run"))) {
                assertEquals(200, server.get("/health/ready").statusCode());
            }
            assertEquals(List.of(), hub.requests(), "a cached model loads without any network request");
        }
    }

    @Test
    void offlineCachedLoadsAndOfflineNotCachedReportsSeedMessageThenRecoversWithoutRestart() throws Exception {
        Path cached = tmp.resolve("cached");
        Path empty = tmp.resolve("empty");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            fillCache(hub, cached);
            try (LibertyServer server = startReady(env(null, cached), tmp.resolve("offline-cached"))) {
                JsonObject status = json(server.get("/v1/status").body());
                assertTrue(status.getBoolean("model_loaded"));
                assertTrue(status.getBoolean("offline_mode"));
            }

            try (LibertyServer server = LibertyServer.start(env(null, empty), tmp.resolve("offline-empty"))) {
                server.awaitResponse("/health/ready",
                        r -> r.statusCode() == 503 && r.body().contains("Model not cached and offline mode is enabled"),
                        READY_TIMEOUT);
                JsonObject data = checkData(server.get("/health/ready").body());
                assertFalse(data.getBoolean("model_loaded"));
                assertFalse(data.getBoolean("model_cached"));
                assertTrue(data.getBoolean("offline_mode"));
                assertTrue(data.getString("last_error").contains("download-embedding-model.sh"), "remedy given");
                JsonObject status = json(server.get("/v1/status").body());
                assertFalse(status.getBoolean("model_loaded"));
                assertTrue(status.getString("error").startsWith("Model not cached and offline mode is enabled"));
                // Not a restart reason: liveness and startup stay UP.
                assertEquals(200, server.get("/health/live").statusCode());
                assertEquals(200, server.get("/health/started").statusCode());
                HttpResponse<String> embed = server.post("/v1/embeddings", "audio/wav", new byte[44]);
                assertEquals(503, embed.statusCode());
                assertTrue(embed.headers().firstValue("Retry-After").isPresent());
                assertEquals("model_not_ready", json(embed.body()).getString("code"));

                // Someone fills the shared cache (the pre-download script elsewhere): ready without a restart.
                fillCache(hub, empty);
                server.awaitReady(Duration.ofSeconds(60));
            }
        }
    }

    @Test
    void flippedByteIsNamedOfflineAndRedownloadedOnline() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            CachedSnapshot snapshot = fillCache(hub, cache);
            Path ckpt = snapshot.file("embedding_model.ckpt");
            ServerTestSupport.flipByte(ckpt, 5000);

            try (LibertyServer server = LibertyServer.start(env(null, cache), tmp.resolve("offline"))) {
                server.awaitResponse("/health/ready",
                        r -> r.statusCode() == 503 && r.body().contains("embedding_model.ckpt"), READY_TIMEOUT);
                String error = checkData(server.get("/health/ready").body()).getString("last_error");
                assertTrue(error.contains("embedding_model.ckpt"), error);
            }
            hub.clearRequests();
            try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("online"))) {
                assertTrue(hub.requests().stream().anyMatch(r -> r.path().endsWith("embedding_model.ckpt")),
                        "the corrupt file was fetched again");
            }
            assertBlobsIntact(cache, hub);
        }
    }

    @Test
    void cutConnectionResumesAndWrongBytesAreNeverCached() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            hub.cutNextBodies(3, 200_000); // counts every body; only the checkpoint is longer than the cut
            try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("cut"))) {
                assertTrue(hub.requests().stream().anyMatch(r -> r.header("Range").isPresent()),
                        "the cut download resumed with a Range request");
            }
            assertBlobsIntact(cache, hub);

            Path cache2 = tmp.resolve("cache2");
            hub.clearRequests();
            hub.corruptNextBodies(2);
            try (LibertyServer server = startReady(env(hub, cache2), tmp.resolve("corrupt"))) {
                assertEquals(200, server.get("/health/ready").statusCode());
            }
            assertBlobsIntact(cache2, hub);
        }
    }

    @Test
    void killedDownloadLeavesNothingALaterStartTakesForComplete() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            hub.setSlowdown(Duration.ofMillis(50), 8192);
            LibertyServer first = LibertyServer.start(env(hub, cache), tmp.resolve("killed"));
            try {
                first.awaitResponse("/v1/status", r -> r.body().contains("DOWNLOADING"), READY_TIMEOUT);
                TimeUnit.MILLISECONDS.sleep(500);
            } finally {
                first.kill();
            }
            Path blobs = repoDir(cache).resolve("blobs");
            try (Stream<Path> files = Files.list(blobs)) {
                for (Path blob : files.toList()) {
                    String name = blob.getFileName().toString();
                    if (name.matches("[0-9a-f]{64}")) {
                        assertEquals(name, sha256(blob), "a final blob name only ever holds verified content");
                    }
                }
            }
            hub.clearFaults();
            try (LibertyServer server = startReady(env(hub, cache), tmp.resolve("after-kill"))) {
                assertEquals(200, server.get("/health/ready").statusCode());
            }
            assertBlobsIntact(cache, hub, true);
        }
    }

    @Test
    void twoServersOnOneEmptyCacheBothBecomeReadyWithOneCorrectCopy() throws Exception {
        Path cache = tmp.resolve("shared");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            hub.setSlowdown(Duration.ofMillis(5), 16384);
            try (LibertyServer a = LibertyServer.start(env(hub, cache), tmp.resolve("a"));
                 LibertyServer b = LibertyServer.start(env(hub, cache), tmp.resolve("b"))) {
                a.awaitReady(READY_TIMEOUT);
                b.awaitReady(READY_TIMEOUT);
            }
            assertBlobsIntact(cache, hub);
            try (Stream<Path> files = Files.list(repoDir(cache).resolve("blobs"))) {
                assertEquals(ServerTestSupport.requiredFiles().size(), files.count(), "one blob per file, no leftovers");
            }
        }
    }

    @Test
    void tokenGoesOnlyToTheHubAndAppearsInNoLogOrResponse() throws Exception {
        String token = "hf_SeCrEtToKeN0123456789";
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, true);
            hub.setValidToken(token);
            Map<String, String> env = new java.util.HashMap<>(env(hub, cache));
            env.put("HF_TOKEN", token);
            try (LibertyServer server = startReady(env, tmp.resolve("token"))) {
                for (String path : List.of("/v1/status", "/health", "/health/ready", "/health/live", "/health/started")) {
                    assertFalse(server.get(path).body().contains(token), path);
                }
                server.stop();
                assertFalse(server.allLogs().contains(token), "token in a log line");
            }
            assertTrue(hub.requests(HubStandIn.HUB).stream().allMatch(HubStandIn.RecordedRequest::hasAuthorization),
                    "every Hub request carries the token");
            assertFalse(hub.requests(HubStandIn.CDN).isEmpty());
            assertTrue(hub.requests(HubStandIn.CDN).stream().noneMatch(HubStandIn.RecordedRequest::hasAuthorization),
                    "the redirect host never sees the token");
        }
        // Without the token the gated repo says what to do.
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, true);
            hub.setValidToken(token);
            try (LibertyServer server = LibertyServer.start(env(hub, tmp.resolve("cache2")), tmp.resolve("no-token"))) {
                server.awaitResponse("/health/ready", r -> r.body().contains("HF_TOKEN"), READY_TIMEOUT);
                assertEquals("FAILED", checkData(server.get("/health/ready").body()).getString("state"));
            }
        }
    }

    @Test
    void unknownRepositorySaysWhichSettingToCheck() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            Map<String, String> env = new java.util.HashMap<>(env(hub, tmp.resolve("cache")));
            env.put("EMBEDDING_MODEL", "conformance/no-such-model");
            try (LibertyServer server = LibertyServer.start(env, tmp.resolve("run"))) {
                server.awaitResponse("/v1/status", r -> r.body().contains("EMBEDDING_MODEL"), READY_TIMEOUT);
                JsonObject status = json(server.get("/v1/status").body());
                assertEquals("FAILED", status.getString("state"));
                assertFalse(status.getBoolean("model_loaded"));
            }
        }
    }

    @Test
    void networkDownAtStartThenBackBecomesReadyByItself() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            hub.failNext(1000, 503);
            try (LibertyServer server = LibertyServer.start(env(hub, cache), tmp.resolve("run"))) {
                server.awaitResponse("/v1/status", r -> r.body().contains("WAITING_TO_RETRY"), READY_TIMEOUT);
                assertEquals(503, server.get("/health/ready").statusCode());
                hub.clearFaults();
                server.awaitReady(Duration.ofSeconds(90));
            }
            assertBlobsIntact(cache, hub);
        }
    }

    @Test
    void cacheWrittenInHuggingfaceHubLayoutIsUsedAsIs() throws Exception {
        Path cache = tmp.resolve("hf-cache");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Path repo = repoDir(cache);
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        // What huggingface_hub leaves around: its lock folder and an interrupted download of its own.
        Files.createDirectories(cache.resolve(".locks").resolve(ServerTestSupport.REPO_DIR_NAME));
        for (String file : ServerTestSupport.requiredFiles()) {
            byte[] content = Files.readAllBytes(ServerTestSupport.smallModelDir().resolve(file));
            String etag = file.endsWith(".ckpt") ? HubStandIn.sha256(content) : HubStandIn.gitBlobSha1(content);
            Files.write(blobs.resolve(etag), content);
            Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../blobs").resolve(etag));
        }
        Files.write(blobs.resolve("f".repeat(64) + ".incomplete"), new byte[1234]);

        try (HubStandIn hub = HubStandIn.start()) {
            hub.stop();
            try (LibertyServer server = startReady(env(null, cache), tmp.resolve("run"))) {
                JsonObject data = checkData(server.get("/health/ready").body());
                assertEquals(commit, data.getString("commit"));
                assertTrue(data.getBoolean("model_cached"));
            }
        }
    }

    @Test
    void preDownloadScriptFillsACacheThatTheServerLoadsOffline() throws Exception {
        Path cache = tmp.resolve("predownloaded");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            Map<String, String> env = env(hub, cache);
            ScriptRun run = runDownloadScript(env);
            assertEquals(0, run.exitCode(), run.output());
            assertTrue(run.output().contains("Model cached and verified"), run.output());
            assertBlobsIntact(cache, hub);

            // Offline with an empty cache, and an unknown repository: non-zero, with the reason.
            ScriptRun offlineEmpty = runDownloadScript(offline(env(hub, tmp.resolve("empty"))));
            assertEquals(1, offlineEmpty.exitCode(), offlineEmpty.output());
            assertTrue(offlineEmpty.output().contains("Model not cached and offline mode is enabled"));
            Map<String, String> unknown = new java.util.HashMap<>(env(hub, tmp.resolve("unknown")));
            unknown.put("EMBEDDING_MODEL", "conformance/missing");
            ScriptRun notFound = runDownloadScript(unknown);
            assertEquals(1, notFound.exitCode(), notFound.output());
            assertTrue(notFound.output().contains("EMBEDDING_MODEL"), notFound.output());
        }
        try (LibertyServer server = startReady(env(null, cache), tmp.resolve("offline"))) {
            JsonObject status = json(server.get("/v1/status").body());
            assertTrue(status.getBoolean("model_loaded"));
            assertTrue(status.getBoolean("offline_mode"));
        }
    }

    record ScriptRun(int exitCode, String output) {
    }

    private ScriptRun runDownloadScript(Map<String, String> env) throws Exception {
        Path root = Path.of(System.getProperty("project.root", "."));
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("scripts/download-embedding-model.sh").toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("MODEL_") || k.equals("EMBEDDING_MODEL"));
        pb.environment().putAll(env);
        pb.environment().put("HOME", tmp.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "script finished");
        return new ScriptRun(p.exitValue(), output);
    }
}
