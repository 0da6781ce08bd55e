package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 9 of the reliability issue through real servers and a Hub on HTTPS with a self-signed certificate made at
 * test time, for a gated repository that needs HF_TOKEN. Two servers start at once:
 *
 * <ul>
 *   <li>A, with the JVM's default trust: it must refuse the Hub with a clear error naming the fix, and the Hub
 *       must never see a single HTTP request from it (the token is not sent to a server it cannot authenticate);
 *   <li>B, with the certificate in a trust store given through {@code JVM_ARGS} (what a user configures): it must
 *       download over HTTPS with the token, and the token must not follow the redirect to the CDN (another host).
 * </ul>
 *
 * Then the token must appear in no answer of either server (status, health, OpenAPI, model info, problem
 * documents), in no log, FFDC or trace file, and in no file of either cache. (Hub file names with '..' or absolute
 * paths, and hostile etags and commits from the Hub, are refused by {@code hub/UnsafeNamesTest}; the token's
 * absence from exception messages and toString() by {@code hub/TokenAndAccessTest}.)
 */
class SecurityIT {

    private static final String TOKEN = "hf_ReliabilitySecurityToken0123456789abc";

    @TempDir
    Path tmp;

    @Test
    void selfSignedHubFailsClearlyUntilTrustIsConfiguredAndTheTokenNeverLeaks() throws Exception {
        Report report = new Report("item9-security");
        List<String> problems = new ArrayList<>();
        Fixtures.Model model = Fixtures.smallModel();
        SelfSignedTls tls = SelfSignedTls.create(tmp.resolve("tls"));
        try (HubStandIn hub = HubStandIn.start();
             HubProxy httpsForA = HubProxy.https(hub, tls.serverContext());
             HubProxy httpsForB = HubProxy.https(hub, tls.serverContext())) {
            hub.addRepo(model.repoId(), null, model.dir(), true);
            hub.setValidToken(TOKEN);
            Map<String, String> envA = Fixtures.with(Fixtures.env(httpsForA.endpoint(), tmp.resolve("cacheA"), model),
                    "HF_TOKEN", TOKEN);
            Map<String, String> envB = Fixtures.with(Fixtures.env(httpsForB.endpoint(), tmp.resolve("cacheB"), model),
                    "HF_TOKEN", TOKEN, "JVM_ARGS", tls.trustJvmArgs());
            try (LibertyServer a = LibertyServer.start(envA, tmp.resolve("serverA"));
                 LibertyServer b = LibertyServer.start(envB, tmp.resolve("serverB"))) {
                b.awaitReady(Fixtures.READY_TIMEOUT);
                a.awaitResponse("/v1/status", r -> r.body().contains("is not trusted"), Fixtures.READY_TIMEOUT);
                String errorA = Fixtures.errorOf(a);
                report.line("A (default trust): state %s, /v1/status error: %s", Fixtures.stateOf(a), errorA);
                report.line("A: HTTP requests that reached the untrusted-for-A Hub: %d", httpsForA.log().size());
                if (!errorA.contains("javax.net.ssl.trustStore")) {
                    problems.add("A's error does not say how to configure trust: " + errorA);
                }
                if (!httpsForA.log().isEmpty()) {
                    problems.add("A sent " + httpsForA.log().size() + " HTTP requests to a server it cannot authenticate");
                }
                List<HubProxy.Logged> hubB = httpsForB.log().stream().filter(r -> r.listener().equals(HubProxy.HUB)).toList();
                List<HubProxy.Logged> cdnB = httpsForB.log().stream().filter(r -> r.listener().equals(HubProxy.CDN)).toList();
                long hubWithToken = hubB.stream().filter(HubProxy.Logged::authorization).count();
                long cdnWithToken = cdnB.stream().filter(HubProxy.Logged::authorization).count();
                report.line("B (trust store in JVM_ARGS): ready over HTTPS; %d/%d Hub requests carried the token, %d/%d"
                        + " requests to the CDN host after the redirect did", hubWithToken, hubB.size(), cdnWithToken, cdnB.size());
                if (hubB.isEmpty() || hubWithToken != hubB.size()) {
                    problems.add("B: not every Hub request carried the token");
                }
                if (cdnB.isEmpty() || cdnWithToken != 0) {
                    problems.add("B: the token went to the CDN host (" + cdnWithToken + " of " + cdnB.size() + ")");
                }

                int answers = 0;
                for (LibertyServer server : List.of(a, b)) {
                    String name = server == a ? "A" : "B";
                    for (String path : List.of("/v1/status", "/v1/model", "/health", "/health/ready", "/health/live",
                            "/health/started", "/openapi", "/openapi?format=json")) {
                        answers++;
                        checkNoToken(name + " GET " + path, server.get(path), problems);
                    }
                    // Problem documents: A's 503 carries the lifecycle's last error; B's 400 the decoder's message.
                    answers += 2;
                    checkNoToken(name + " POST embeddings (WAV)", server.post("/v1/embeddings", "audio/wav",
                            WavFuzzer.wav(1, 16, 1, 16000, 0.5)), problems);
                    checkNoToken(name + " POST embeddings (garbage)", server.post("/v1/embeddings", "audio/wav",
                            ("RIFF" + TOKEN).getBytes(StandardCharsets.US_ASCII)), problems);
                }
                report.line("answers checked for the token: %d", answers);
                a.stop();
                b.stop();
                Searched searched = Searched.NONE;
                for (Path dir : List.of(tmp.resolve("serverA"), tmp.resolve("serverB"))) {
                    Searched server = checkNoTokenInFiles(dir, false, problems);
                    report.line("%s: searched %s", dir.getFileName(), server);
                    // Without the server's own log the search proves nothing; Liberty writes its FFDC files in
                    // ffdc/ beside messages.log, so finding it also shows the search covered where they go.
                    Path messagesLog = dir.resolve(System.getProperty("liberty.server.name", "speakerEmbedding"))
                            .resolve("logs/messages.log");
                    if (!Files.isRegularFile(messagesLog) || server.logs() == 0) {
                        problems.add(dir.getFileName() + ": no messages.log was found to search");
                    }
                    searched = searched.plus(server);
                }
                for (Path dir : List.of(tmp.resolve("cacheA"), tmp.resolve("cacheB"))) {
                    Searched cache = checkNoTokenInFiles(dir, true, problems);
                    report.line("%s: searched %s", dir.getFileName(), cache);
                    searched = searched.plus(cache);
                }
                report.line("files checked for the token: %s", searched);
                // B downloaded the model, so the caches cannot be empty. FFDC files are not required: Liberty writes
                // one only when it catches an unexpected exception, and a correct run has none; every file under
                // each server's output directory is searched, so any FFDC file written there is (counted above).
                if (searched.cache() == 0) {
                    problems.add("no cache file was found to search");
                }
            }
        }
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    private static void checkNoToken(String what, HttpResponse<String> r, List<String> problems) {
        if (r.body().contains(TOKEN) || r.headers().map().toString().contains(TOKEN)) {
            problems.add(what + " reveals the token");
        }
        if (r.statusCode() >= 500 && r.statusCode() != 503) {
            problems.add(what + " answered " + r.statusCode());
        }
    }

    /** How many files of each kind were read in full and searched for the token. */
    record Searched(int logs, int ffdc, int cache, int other) {
        static final Searched NONE = new Searched(0, 0, 0, 0);

        Searched plus(Searched o) {
            return new Searched(logs + o.logs, ffdc + o.ffdc, cache + o.cache, other + o.other);
        }

        @Override
        public String toString() {
            return logs + " log, " + ffdc + " FFDC, " + cache + " cache and " + other + " other files";
        }
    }

    /**
     * Every regular file under {@code dir} (logs, FFDC, trace, configuration, cache blobs, ONNX graph), read as bytes
     * and counted by kind: cache files when {@code cache}, else FFDC files (in an {@code ffdc} directory), logs
     * ({@code *.log}, which includes trace.log) and the rest.
     */
    private static Searched checkNoTokenInFiles(Path dir, boolean cache, List<String> problems) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Searched.NONE;
        }
        byte[] needle = TOKEN.getBytes(StandardCharsets.US_ASCII);
        Searched searched = Searched.NONE;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (cache) {
                    searched = searched.plus(new Searched(0, 0, 1, 0));
                } else if (f.getParent().getFileName().toString().equals("ffdc")) {
                    searched = searched.plus(new Searched(0, 1, 0, 0));
                } else if (f.getFileName().toString().endsWith(".log")) {
                    searched = searched.plus(new Searched(1, 0, 0, 0));
                } else {
                    searched = searched.plus(new Searched(0, 0, 0, 1));
                }
                if (indexOf(Files.readAllBytes(f), needle) >= 0) {
                    problems.add("the token is written in " + dir.relativize(f));
                }
            }
        }
        return searched;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
