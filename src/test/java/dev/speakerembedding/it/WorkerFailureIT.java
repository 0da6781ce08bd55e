package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.READY_TIMEOUT;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.fillCache;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.SharedConformance;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures of the model worker that no retry can fix, made for real in real Liberty processes: ONNX Runtime's native
 * library replaced by a file that is not one, and a download that stops making progress. The probes and /v1/status
 * must tell an operator (and Kubernetes) which of them a restart helps.
 */
class WorkerFailureIT {

    @TempDir
    Path tmp;

    @Test
    void nativeLibraryThatCannotLoadIsFailedWithItsCauseOnceAndLivenessStaysUp() throws Exception {
        Path cache = tmp.resolve("cache");
        Path notALibrary = tmp.resolve("libonnxruntime.so");
        Files.writeString(notALibrary, "this is not an ELF shared object\n");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            fillCache(hub, cache);
            Map<String, String> env = env(null, cache);
            // ONNX Runtime's documented override of where its native library is loaded from.
            env.put("JVM_ARGS", "-Donnxruntime.native.onnxruntime.path=" + notALibrary);
            try (LibertyServer server = LibertyServer.start(env, tmp.resolve("run"))) {
                server.awaitResponse("/v1/status", r -> r.statusCode() == 200 && r.body().contains("\"FAILED\""),
                        READY_TIMEOUT);
                JsonObject status = json(server.get("/v1/status").body());
                assertEquals("unhealthy", status.getString("status"));
                assertFalse(status.getBoolean("model_loaded"));
                assertTrue(status.getBoolean("model_cached"));
                String error = status.getString("error");
                assertTrue(error.contains("UnsatisfiedLinkError"), error);
                assertTrue(error.contains("noexec"), "says what to check: " + error);

                assertEquals(503, server.get("/health/ready").statusCode());
                var live = server.get("/health/live");
                assertEquals(200, live.statusCode(), "a restart of the same image fails the same way: " + live.body());
                assertEquals("FAILED", checkData(live.body()).getString("state"));
                var embed = server.post("/v1/embeddings", "audio/wav", Wavs.speechLike(1.0));
                assertEquals(503, embed.statusCode());
                assertTrue(embed.body().contains("model_not_ready"), embed.body());

                // No retry loop: one attempt, then FAILED for good.
                Thread.sleep(3000);
                assertEquals("FAILED", json(server.get("/v1/status").body()).getString("state"));
                assertEquals(1, count(server.console(), "cannot be loaded: The Java runtime cannot load"),
                        "a single failed attempt is logged");
            }
        }
    }

    @Test
    void downloadWithoutProgressTurnsLivenessDownWithTheReason() throws Exception {
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, false);
            // One 1 KiB chunk a minute: within the read timeout below, so the download neither fails nor moves on.
            hub.setSlowdown(Duration.ofSeconds(60), 1024);
            Map<String, String> env = env(hub, cache);
            env.put("DOWNLOAD_READ_TIMEOUT_SECONDS", "120");
            env.put("MODEL_WORKER_STALL_TIMEOUT_SECONDS", "10");
            try (LibertyServer server = LibertyServer.start(env, tmp.resolve("run"))) {
                server.awaitResponse("/health/started", r -> r.statusCode() == 200, READY_TIMEOUT);
                assertEquals(200, server.get("/health/live").statusCode(), "live while the stall timeout runs");
                server.awaitResponse("/health/live", r -> r.statusCode() == 503, Duration.ofSeconds(60));
                JsonObject data = checkData(server.get("/health/live").body());
                String reason = data.getString("restart_reason");
                assertTrue(reason.contains("no progress") && reason.contains("MODEL_WORKER_STALL_TIMEOUT_SECONDS"),
                        reason);
                JsonObject status = json(server.get("/v1/status").body());
                assertEquals("unhealthy", status.getString("status"));
                assertEquals(reason, status.getString("error"));
                assertEquals(503, server.get("/health/ready").statusCode());
            }
        }
    }

    @Test
    void outOfMemoryWhileConvertingTurnsLivenessDownWithTheReason() throws Exception {
        // A real OutOfMemoryError: the full-size checkpoint converted in a heap too small for it. (Without ../shared
        // beside the clone the test is skipped by SharedConformance; on CI it always runs.)
        Path fullModel = SharedConformance.require("full");
        Path cache = tmp.resolve("cache");
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo("conformance/ecapa-full", null, fullModel, false);
            Map<String, String> env = env(hub, cache);
            env.put("EMBEDDING_MODEL", "conformance/ecapa-full");
            // Later options win: this heap replaces jvm.options' 768 MiB, and the JVM must not exit on the error
            // (in production it does, -XX:+ExitOnOutOfMemoryError, which is a restart too).
            env.put("JVM_ARGS", "-Xmx160m -XX:-ExitOnOutOfMemoryError");
            try (LibertyServer server = LibertyServer.start(env, tmp.resolve("run"))) {
                server.awaitResponse("/health/live", r -> r.statusCode() == 503, READY_TIMEOUT);
                JsonObject live = checkData(server.get("/health/live").body());
                assertEquals("FAILED", live.getString("state"));
                assertTrue(live.getString("restart_reason").contains("java.lang.OutOfMemoryError"),
                        live.getString("restart_reason"));
                JsonObject status = json(server.get("/v1/status").body());
                assertEquals("unhealthy", status.getString("status"));
                assertEquals("FAILED", status.getString("state"));
                assertTrue(status.getString("error").contains("restart"), status.getString("error"));
                assertEquals(503, server.get("/health/ready").statusCode());
            }
        }
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
