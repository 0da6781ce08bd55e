package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liberty's JSON logging through a real server (README "Logs"): with {@code WLP_LOGGING_CONSOLE_FORMAT=json} every
 * console line is one JSON object, and the application's own lines (start-up, download progress, a retry of a Hub
 * that fails for a while, one line per model state change) carry Liberty's fields and the application's
 * {@code ext_*} fields. A first start with a gated model (HF_TOKEN), a Hub that answers 503 twice, JWT-authorized
 * profile traffic (create, enroll, verify, identify, list by external id), embeddings, a verification, bad tokens and a
 * malformed body; then 50 of each probe. Everything the server wrote (console, messages.log in JSON, trace.log with
 * the application's trace on, the HTTP access log, FFDC) is scanned for the token, the JWTs, the external id, the
 * vectors and scores returned, and markers put into request bodies.
 */
class JsonLoggingIT {

    private static final String ISSUER = "https://issuer.logging.test";
    private static final List<String> STATE_SEQUENCE = List.of("CHECKING_CACHE", "WAITING_TO_RETRY", "CHECKING_CACHE",
            "DOWNLOADING", "LOADING", "READY");
    private static final int PROBES_EACH = 50;

    @TempDir
    Path tmp;

    @Test
    void jsonConsoleCarriesTheApplicationsLinesWithFieldsOnePerStateChangeAndNoSecretOrBiometricData()
            throws Exception {
        String hfToken = "hf_" + UUID.randomUUID().toString().replace("-", "");
        String externalId = "ext-" + UUID.randomUUID();
        String bodyMarker = "BODYMARK" + UUID.randomUUID().toString().replace("-", "");
        String metadataMarker = "METAMARK" + UUID.randomUUID().toString().replace("-", "");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair key = rsa.generateKeyPair();
        KeyPair otherKey = rsa.generateKeyPair();
        String manager = ProfileAuthorizationIT.token(key.getPrivate(), ISSUER, Instant.now().plusSeconds(3600),
                ProfileAuthorizationIT.MANAGE, ProfileAuthorizationIT.VERIFY);
        String expired = ProfileAuthorizationIT.token(key.getPrivate(), ISSUER, Instant.now().minusSeconds(3600),
                ProfileAuthorizationIT.MANAGE);
        String forged = ProfileAuthorizationIT.token(otherKey.getPrivate(), ISSUER, Instant.now().plusSeconds(3600),
                ProfileAuthorizationIT.MANAGE);
        List<String> secrets = new ArrayList<>(List.of(hfToken, externalId, bodyMarker, metadataMarker));
        for (String jwt : List.of(manager, expired, forged)) {
            secrets.add(jwt);
            secrets.add(jwt.substring(jwt.lastIndexOf('.') + 1));
        }

        try (HubStandIn hub = HubStandIn.start()) {
            serveSmallModel(hub, true);
            hub.setValidToken(hfToken);
            // The checkpoint (0.8 MB) arrives over about 2 s, so that download progress is reported.
            hub.setSlowdown(Duration.ofMillis(120), 64 * 1024);
            // The first attempt's request and its one retry fail: a retry line, then WAITING_TO_RETRY.
            hub.failNext(2, 503);

            Path pem = tmp.resolve("issuer.pem");
            Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                    .encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            Map<String, String> env = env(hub, tmp.resolve("cache"));
            env.put("HF_TOKEN", hfToken);
            env.put("DOWNLOAD_RETRIES", "1");
            env.put("ENROLLMENT_MIN_SPEECH_SECONDS", "1");
            env.put("PROFILE_DB_RETRY_SECONDS", "1");
            env.put("MP_JWT_VERIFY_ISSUER", ISSUER);
            env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", pem.toString());
            env.put("WLP_LOGGING_CONSOLE_FORMAT", "json");
            env.put("WLP_LOGGING_CONSOLE_LOGLEVEL", "INFO");
            env.put("WLP_LOGGING_CONSOLE_SOURCE", "message,accessLog,ffdc,audit");
            env.put("WLP_LOGGING_MESSAGE_FORMAT", "json");
            env.put("WLP_LOGGING_MESSAGE_SOURCE", "message,trace,accessLog,ffdc,audit");
            env.put("WLP_LOGGING_JSON_FIELD_MAPPINGS", "ibm_datetime:@timestamp");
            env.put("HTTP_ACCESS_LOG", "true");
            // Every level of the application's own loggers, into trace.log (and messages.log, source trace).
            env.put("JVM_ARGS", "-Dcom.ibm.ws.logging.trace.specification=*=info:dev.speakerembedding.*=all");

            Path out = tmp.resolve("server");
            List<float[]> vectors = new ArrayList<>();
            List<String> scores = new ArrayList<>();
            Map<String, Integer> figures = new LinkedHashMap<>();
            List<JsonObject> stateLines;
            try (LibertyServer server = ProfileAuthorizationIT.start(env, out, manager)) {
                List<JsonObject> console = jsonLines(server.console(), "console");
                figures.put("console lines at ready", console.size());
                JsonObject any = console.stream().filter(l -> l.getString("type").equals("liberty_message"))
                        .reduce((first, second) -> second).orElseThrow();
                for (String field : List.of("type", "host", "ibm_serverName", "message", "@timestamp",
                        "ibm_sequence")) {
                    assertTrue(any.containsKey(field), field + " in " + any);
                }
                assertFalse(any.containsKey("ibm_datetime"), "WLP_LOGGING_JSON_FIELD_MAPPINGS renamed it: " + any);
                List<JsonObject> app = console.stream().filter(l -> l.getString("module", "")
                        .startsWith("dev.speakerembedding.")).toList();
                for (JsonObject line : app) {
                    assertEquals("liberty_message", line.getString("type"), line.toString());
                    for (String field : List.of("loglevel", "module", "message", "ibm_threadId", "ext_thread")) {
                        assertTrue(line.containsKey(field), field + " in " + line);
                    }
                }
                figures.put("application lines at ready", app.size());

                // Start-up: the configuration line, on the startup thread.
                JsonObject startup = one(app, "dev.speakerembedding.lifecycle.ModelLifecycle", "Model "
                        + ServerTestSupport.REPO + "@main, cache ");
                assertEquals("INFO", startup.getString("loglevel"));
                assertEquals("speaker-embedding", startup.getString("ext_appName"));

                // The Hub's 503s: one retry line (DOWNLOAD_RETRIES=1), a warning.
                List<JsonObject> retries = app.stream().filter(l -> l.getString("module").endsWith("hub.HubClient")
                        && l.getString("message").contains("retry 1 of 1")).toList();
                assertEquals(1, retries.size(), retries.toString());
                assertEquals("WARNING", retries.get(0).getString("loglevel"));

                // One line per state change, with the lifecycle's fields, in order, each naming the one before.
                stateLines = app.stream().filter(l -> l.containsKey("ext_model_state")).toList();
                assertEquals(STATE_SEQUENCE, stateLines.stream().map(l -> l.getString("ext_model_state")).toList(),
                        stateLines.toString());
                String previous = "STARTING";
                int[] attempts = {1, 1, 2, 2, 2, 2};
                for (int i = 0; i < stateLines.size(); i++) {
                    JsonObject line = stateLines.get(i);
                    assertEquals(previous, line.getString("ext_model_previous_state"), line.toString());
                    assertEquals(ServerTestSupport.REPO, line.getString("ext_model"), line.toString());
                    assertEquals(attempts[i], line.getInt("ext_attempt_int"), "a number, not text: " + line);
                    assertEquals("model-lifecycle", line.getString("ext_thread"), line.toString());
                    previous = line.getString("ext_model_state");
                }
                assertEquals("WARNING", stateLines.get(1).getString("loglevel"));
                assertTrue(stateLines.get(1).getString("message").contains("retrying in"), stateLines.get(1).toString());
                assertTrue(stateLines.get(1).getJsonNumber("ext_retry_in_ms_long").longValue() > 0);
                JsonObject ready = stateLines.get(5);
                assertTrue(ready.getString("message").startsWith("✓ Model pre-loaded successfully: "), ready.toString());
                assertEquals(hub.commit(ServerTestSupport.REPO), ready.getString("ext_commit"));
                assertTrue(ready.getJsonNumber("ext_load_ms_long").longValue() > 0, ready.toString());

                // Download progress and each file's completion, with sizes as numbers.
                String ckpt = "embedding_model.ckpt";
                long ckptBytes = hub.file(ServerTestSupport.REPO, ckpt).sizeBytes();
                List<JsonObject> progress = app.stream().filter(l -> l.getString("message").startsWith("Downloading "
                        + ckpt + ": ")).toList();
                assertFalse(progress.isEmpty(), "a progress line for the slow checkpoint");
                for (JsonObject p : progress) {
                    assertEquals(ckpt, p.getString("ext_file"));
                    assertEquals(ckptBytes, p.getJsonNumber("ext_bytes_total_long").longValue(), p.toString());
                    assertTrue(p.getJsonNumber("ext_bytes_done_long").longValue() <= ckptBytes, p.toString());
                }
                figures.put("download progress lines", progress.size());
                for (String file : Components.FORMAT.requiredFiles()) {
                    JsonObject done = one(app, "dev.speakerembedding.lifecycle.LoggingDownloadListener",
                            "Downloaded " + file + ": ");
                    assertEquals(hub.file(ServerTestSupport.REPO, file).sizeBytes(),
                            done.getJsonNumber("ext_bytes_long").longValue(), done.toString());
                }

                // Real traffic with personal data: a profile with an external id, enrollment, verification,
                // identification (also restricted to the external id), lookup by external id, embeddings, bad
                // tokens and a malformed body that carries a marker.
                byte[] wavA = withListChunk(ProfilesIT.input(ProfilesIT.SPEAKER_A), bodyMarker);
                byte[] wavB = withListChunk(ProfilesIT.input(ProfilesIT.SPEAKER_B), bodyMarker);
                String id = ProfileAuthorizationIT.ok(201, ProfileAuthorizationIT.send(server, "POST", "/v1/speakers",
                        manager, "application/json", ("{\"external_id\":\"" + externalId + "\",\"metadata\":{\"note\":\""
                                + metadataMarker + "\"}}").getBytes(StandardCharsets.UTF_8))).getString("id");
                JsonObject enrolled = ProfileAuthorizationIT.ok(201, ProfileAuthorizationIT.send(server, "POST",
                        "/v1/speakers/" + id + "/enrollments", manager, "audio/wav", wavA));
                assertEquals("enrolled", enrolled.getJsonObject("speaker").getString("state"));
                JsonObject verified = ProfileAuthorizationIT.ok(200, ProfileAuthorizationIT.send(server, "POST",
                        "/v1/speakers/" + id + "/verify", manager, "audio/wav", wavB));
                scores.add(verified.get("score").toString());
                for (String query : List.of("", "?candidates=" + URLEncoder.encode(externalId, StandardCharsets.UTF_8))) {
                    JsonObject identified = ProfileAuthorizationIT.ok(200, ProfileAuthorizationIT.send(server, "POST",
                            "/v1/identify" + query, manager, "audio/wav", wavA));
                    for (JsonValue c : identified.getJsonArray("candidates")) {
                        scores.add(c.asJsonObject().get("score").toString());
                    }
                }
                JsonObject found = ProfileAuthorizationIT.ok(200, ProfileAuthorizationIT.send(server, "GET",
                        "/v1/speakers?external_id=" + URLEncoder.encode(externalId, StandardCharsets.UTF_8), manager,
                        null, null));
                assertEquals(id, found.getJsonArray("speakers").getJsonObject(0).getString("id"));
                for (byte[] wav : List.of(wavA, wavB)) {
                    HttpResponse<String> r = ApiCalls.embed(server, wav);
                    assertEquals(200, r.statusCode(), r.body());
                    vectors.addAll(ApiCalls.embeddings(json(r.body())));
                }
                assertEquals(vectors.get(0).length, ready.getInt("ext_dimension_int"), "the READY line's dimension");
                JsonObject pair = ProfileAuthorizationIT.ok(200, ProfileAuthorizationIT.send(server, "POST",
                        "/v1/verify", null, "multipart/form-data; boundary=b", multipart(wavA, wavB)));
                scores.add(pair.get("score").toString());
                for (String bad : List.of(expired, forged)) {
                    ProfileAuthorizationIT.problem(401, "unauthorized", ProfileAuthorizationIT.send(server, "GET",
                            "/v1/speakers?external_id=" + externalId, bad, null, null));
                }
                ApiCalls.assertProblem(ApiCalls.embed(server, (bodyMarker + " is not a WAV file").getBytes()), 400,
                        "malformed_audio");
                ApiCalls.assertProblem(ProfileAuthorizationIT.send(server, "POST", "/v1/speakers", manager,
                        "application/json", ("{\"external_id\":" + bodyMarker).getBytes()), 400, "invalid_json");

                // Probes and status, many times: not one line of the application's or Liberty's messages.
                awaitQuiet(server);
                int messagesBefore = count(server.console(), "liberty_message");
                int accessBefore = count(server.console(), "liberty_accesslog");
                String[] probes = {"/health/ready", "/health/live", "/health/started", "/health", "/v1/status"};
                for (int i = 0; i < PROBES_EACH; i++) {
                    for (String probe : probes) {
                        assertEquals(200, server.get(probe).statusCode(), probe);
                    }
                }
                int expectedAccess = accessBefore + PROBES_EACH * probes.length;
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (count(server.console(), "liberty_accesslog") < expectedAccess && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                Thread.sleep(1000);
                assertEquals(messagesBefore, count(server.console(), "liberty_message"),
                        "the probes added message lines: " + tailLines(server.console(), 10));
                assertEquals(expectedAccess, count(server.console(), "liberty_accesslog"),
                        "one access log line per request");
                figures.put("probe requests", PROBES_EACH * probes.length);
                figures.put("message lines added by them", count(server.console(), "liberty_message") - messagesBefore);

                // The access log: the path and the status, never the query that held the external id.
                List<JsonObject> access = jsonLines(server.console(), "console").stream()
                        .filter(l -> l.getString("type").equals("liberty_accesslog")).toList();
                JsonObject lookup = access.stream().filter(l -> l.getString("ibm_uriPath", "").equals("/v1/speakers")
                        && "GET".equals(l.getString("ibm_requestMethod", ""))).findFirst().orElseThrow(
                                () -> new AssertionError("no access line for GET /v1/speakers: " + access.get(0)));
                assertFalse(lookup.containsKey("ibm_queryString"), lookup.toString());
                assertTrue(lookup.containsKey("ibm_responseCode"), lookup.toString());
                System.out.println("example application line: " + ready);
                System.out.println("example access line: " + lookup);
                System.out.println("example retry line: " + retries.get(0));
                System.out.println("example progress line: " + progress.get(0));
            }

            // After the stop: messages.log, in JSON, holds the same state changes (the STOPPED line of the shutdown
            // comes after Liberty has stopped writing the application's lines, when it comes at all).
            Path logs = out.resolve(System.getProperty("liberty.server.name", "speakerEmbedding")).resolve("logs");
            Path messagesLog = logs.resolve("messages.log");
            List<JsonObject> messages = jsonLines(Files.readString(messagesLog), "messages.log");
            List<String> states = messages.stream().filter(l -> l.containsKey("ext_model_state"))
                    .map(l -> l.getString("ext_model_state")).toList();
            assertEquals(STATE_SEQUENCE, states.subList(0, Math.min(states.size(), STATE_SEQUENCE.size())),
                    "messages.log");
            assertTrue(states.size() == STATE_SEQUENCE.size() || states.size() == STATE_SEQUENCE.size() + 1
                    && states.get(STATE_SEQUENCE.size()).equals("STOPPED"), "messages.log: " + states);
            Path traceLog = logs.resolve("trace.log");
            assertTrue(Files.isRegularFile(traceLog), "the application's trace was on");
            assertTrue(Files.readString(traceLog).contains("dev.speakerembedding"), "trace.log holds its lines");
            assertTrue(Files.isRegularFile(logs.resolve("http_access.log")), "HTTP_ACCESS_LOG=true");

            // Nothing personal or secret anywhere the server wrote.
            String everything = everything(out.resolve("console.log"), logs);
            figures.put("bytes of logs scanned", everything.length());
            for (int i = 0; i < secrets.size(); i++) {
                ProfileAuthorizationIT.assertNoSecret(everything, secrets.get(i), "secret #" + i);
            }
            int values = 0;
            for (float[] v : vectors) {
                for (float x : v) {
                    String text = Float.toString(x);
                    if (text.replace("-", "").length() >= 9) {
                        ProfileAuthorizationIT.assertNoSecret(everything, text, "an embedding value");
                        values++;
                    }
                }
            }
            for (String score : scores) {
                if (score.length() >= 6) {
                    ProfileAuthorizationIT.assertNoSecret(everything, score, "a score");
                }
            }
            assertTrue(values >= 40, "embedding values looked for: " + values);
            figures.put("embedding values looked for", values);
            figures.put("scores looked for", scores.size());
            System.out.println("JsonLoggingIT: " + figures);
        }
    }

    /**
     * The JVM's own warnings, written by HotSpot straight to the process's output, outside Liberty's logging (which
     * cannot format them): since mpMetrics-5.1 (whose monitoring adds to the boot class path at run time), HotSpot
     * warns once that class sharing is limited (README "Logs"). Nothing else may be a non-JSON line.
     */
    private static final String JVM_WARNING = "OpenJDK 64-Bit Server VM warning: ";

    /** Every non-blank line of {@code text} parsed as one JSON object, the JVM's own warnings left out. */
    private static List<JsonObject> jsonLines(String text, String where) {
        List<JsonObject> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || (where.equals("console") && line.startsWith(JVM_WARNING))) {
                continue;
            }
            try (JsonReader r = Json.createReader(new StringReader(line))) {
                lines.add(r.readObject());
            } catch (JsonParsingException e) {
                throw new AssertionError(where + " has a line that is not one JSON object: " + line, e);
            }
        }
        return lines;
    }

    private static JsonObject one(List<JsonObject> lines, String module, String messageStart) {
        List<JsonObject> found = lines.stream().filter(l -> l.getString("module").equals(module)
                && l.getString("message").startsWith(messageStart)).toList();
        assertEquals(1, found.size(), module + " '" + messageStart + "': " + found);
        return found.get(0);
    }

    private static int count(String console, String type) {
        return (int) jsonLines(console, "console").stream().filter(l -> l.getString("type").equals(type)).count();
    }

    /** Waits until the console has not grown for 2 s (the profile index catching up with the writes). */
    private static void awaitQuiet(LibertyServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            int now = count(server.console(), "liberty_message");
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(2000);
        }
    }

    private static String tailLines(String text, int n) {
        String[] lines = text.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
    }

    /** The console and every file under logs/ (messages.log, trace.log, http_access.log, FFDC, state). */
    private static String everything(Path console, Path logs) throws Exception {
        StringBuilder all = new StringBuilder(Files.readString(console));
        try (Stream<Path> files = Files.walk(logs)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                all.append('\n').append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    /** {@code wav} with a LIST chunk holding {@code marker} before its fmt chunk (decoders skip unknown chunks). */
    static byte[] withListChunk(byte[] wav, String marker) {
        byte[] text = ("INFOICMT" + marker).getBytes(StandardCharsets.US_ASCII);
        int size = text.length + (text.length % 2);
        ByteBuffer chunk = ByteBuffer.allocate(8 + size).order(ByteOrder.LITTLE_ENDIAN);
        chunk.put("LIST".getBytes(StandardCharsets.US_ASCII)).putInt(size).put(text);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(wav, 0, 12);
        out.writeBytes(chunk.array());
        out.write(wav, 12, wav.length - 12);
        byte[] result = out.toByteArray();
        ByteBuffer.wrap(result).order(ByteOrder.LITTLE_ENDIAN).putInt(4, result.length - 8);
        return result;
    }

    private static byte[] multipart(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> part : Map.of("a", a, "b", b).entrySet()) {
            out.writeBytes(("--b\r\nContent-Disposition: form-data; name=\"" + part.getKey() + "\"; filename=\""
                    + part.getKey() + ".wav\"\r\nContent-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(part.getValue());
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("--b--\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
