package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Speaker profiles end to end through real Liberty servers with the small conformance model: on the embedded H2
 * database (file mode in DATA_DIR's default under the server's HOME, kept across a restart) and on the machine's
 * PostgreSQL (a schema of this test's own; fails, never skips, when PostgreSQL does not answer).
 */
class ProfilesIT {

    /** Two enrollments of the espeak files are needed to reach it, so the enrolling state is seen first. */
    static final double MIN_SPEECH_SECONDS = 9;
    static final String SPEAKER_A = "speech_espeak_en.wav";
    static final String SPEAKER_B = "speech_espeak_en_f3.wav";
    static final String PG_HOST = "127.0.0.1";
    static final int PG_PORT = 5432;
    static final String PG_START_HINT = "start the machine's PostgreSQL with: "
            + "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

    /** The small random-weight WeSpeaker model of SherpaModelIT, as sherpa-onnx runs it (dimension 256). */
    static final String SHERPA_REPO = "conformance/one-wespeaker-model";
    static final String SHERPA_FILE = "wespeaker_tiny.onnx";

    private static HubStandIn hub;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startHub() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        hub.addRepo(SHERPA_REPO, null, Map.of(SHERPA_FILE, Files.readAllBytes(Npy.conformanceDir()
                .resolve("sherpa/models").resolve(SHERPA_FILE))), false);
    }

    @AfterAll
    static void stopHub() throws Exception {
        if (hub != null) {
            hub.close();
        }
    }

    private static Map<String, String> profileEnv(Path cache) {
        Map<String, String> e = env(hub, cache);
        e.put("ENROLLMENT_MIN_SPEECH_SECONDS", Double.toString(MIN_SPEECH_SECONDS));
        e.put("PROFILE_DB_RETRY_SECONDS", "1");
        return e;
    }

    /**
     * A ready server whose profile store is reachable too: readiness does not wait for the database (the embedding
     * endpoints do not need it), so the schema migration may finish a moment after the model is loaded.
     */
    static LibertyServer startWithProfiles(Map<String, String> env, Path out) throws Exception {
        LibertyServer server = ServerTestSupport.startReady(env, out);
        try {
            return server.awaitResponse("/v1/speakers?limit=1", r -> r.statusCode() == 200, Duration.ofSeconds(60));
        } catch (Throwable t) {
            server.close();
            throw t;
        }
    }

    static byte[] input(String name) throws Exception {
        return Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(name));
    }

    static HttpResponse<String> send(LibertyServer server, String method, String path, String contentType,
                                     byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        return server.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonObject ok(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        return json(r.body());
    }

    static void problem(int status, String code, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(code, json(r.body()).getString("code"), r.body());
    }

    static String create(LibertyServer s, String body) throws Exception {
        JsonObject created = ok(201, send(s, "POST", "/v1/speakers", "application/json", body.getBytes()));
        assertEquals("enrolling", created.getString("state"));
        assertEquals(0, created.getInt("enrollments"));
        assertEquals(MIN_SPEECH_SECONDS, created.getJsonNumber("remaining_speech_seconds").doubleValue(), 1e-9);
        return created.getString("id");
    }

    /** Enrolls {@code file} until the profile is enrolled, checking the state and remaining speech each time. */
    static int enrollUntilEnrolled(LibertyServer s, String id, String file) throws Exception {
        double speechSoFar = 0;
        for (int n = 1; n <= 6; n++) {
            JsonObject r = ok(201, send(s, "POST", "/v1/speakers/" + id + "/enrollments", "audio/wav", input(file)));
            assertEquals(1, r.getJsonArray("enrollments").size());
            JsonObject enrollment = r.getJsonArray("enrollments").getJsonObject(0);
            double speech = enrollment.getJsonNumber("speech_seconds").doubleValue();
            double duration = enrollment.getJsonNumber("duration_seconds").doubleValue();
            assertTrue(speech >= 1.0 && speech <= duration, "speech " + speech + " of " + duration);
            assertTrue(enrollment.getBoolean("current_model"));
            speechSoFar += speech;
            JsonObject speaker = r.getJsonObject("speaker");
            assertEquals(n, speaker.getInt("enrollments"));
            assertEquals(speechSoFar, speaker.getJsonNumber("speech_seconds").doubleValue(), 1e-6);
            if (speechSoFar >= MIN_SPEECH_SECONDS) {
                assertEquals("enrolled", speaker.getString("state"));
                assertEquals(0.0, speaker.getJsonNumber("remaining_speech_seconds").doubleValue());
                assertTrue(n >= 2, "one enrollment was not enough, so enrolling was seen first");
                return n;
            }
            assertEquals("enrolling", speaker.getString("state"));
            assertEquals(MIN_SPEECH_SECONDS - speechSoFar,
                    speaker.getJsonNumber("remaining_speech_seconds").doubleValue(), 1e-6);
            problem(409, "profile_not_enrolled",
                    send(s, "POST", "/v1/speakers/" + id + "/verify", "audio/wav", input(file)));
        }
        return fail("not enrolled after 6 enrollments");
    }

    static double verify(LibertyServer s, String id, String file) throws Exception {
        JsonObject v = ok(200, send(s, "POST", "/v1/speakers/" + id + "/verify", "audio/wav", input(file)));
        assertEquals(0.25, v.getJsonNumber("threshold").doubleValue());
        double score = v.getJsonNumber("score").doubleValue();
        assertTrue(score >= -1.0001 && score <= 1.0001, "score " + score);
        assertEquals(score > 0.25, v.getBoolean("same_speaker"));
        assertEquals(0, v.getInt("enrollments_left_out"));
        return score;
    }

    /** The main flow on one server; returns profile B's id (A is deleted). */
    static String[] mainFlow(LibertyServer s) throws Exception {
        String a = create(s, "{\"external_id\":\"person-a\",\"metadata\":{\"team\":\"blue\",\"n\":1}}");
        String b = create(s, "{}");
        int enrollmentsA = enrollUntilEnrolled(s, a, SPEAKER_A);
        enrollUntilEnrolled(s, b, SPEAKER_B);

        JsonObject got = ok(200, send(s, "GET", "/v1/speakers/" + a, null, null));
        assertEquals("person-a", got.getString("external_id"));
        assertEquals("blue", got.getJsonObject("metadata").getString("team"));
        assertEquals(enrollmentsA, ok(200, send(s, "GET", "/v1/speakers/" + a + "/enrollments", null, null))
                .getJsonArray("enrollments").size());
        JsonArray byExternal = ok(200, send(s, "GET", "/v1/speakers?external_id=person-a", null, null))
                .getJsonArray("speakers");
        assertEquals(1, byExternal.size());
        assertEquals(a, byExternal.getJsonObject(0).getString("id"));

        double same = verify(s, a, SPEAKER_A);
        double other = verify(s, a, SPEAKER_B);
        assertEquals(1.0, same, 1e-4, "A's enrollments are of this very file");
        assertTrue(same > other, "the enrolled file scores above the other speaker: " + same + " vs " + other);

        JsonObject id = ok(200, send(s, "POST", "/v1/identify?top=2", "audio/wav", input(SPEAKER_B)));
        JsonArray candidates = id.getJsonArray("candidates");
        assertEquals(2, candidates.size());
        assertEquals(b, candidates.getJsonObject(0).getString("id"), "B first for B's audio");
        assertEquals(a, candidates.getJsonObject(1).getString("id"));
        assertTrue(candidates.getJsonObject(0).getJsonNumber("score").doubleValue()
                >= candidates.getJsonObject(1).getJsonNumber("score").doubleValue());
        assertEquals(b, id.getJsonObject("identified").getString("id"));
        assertEquals(2, id.getInt("profiles_scored"));
        JsonObject top1 = ok(200, send(s, "POST", "/v1/identify?top=1", "audio/wav", input(SPEAKER_A)));
        assertEquals(1, top1.getJsonArray("candidates").size());
        assertEquals(a, top1.getJsonArray("candidates").getJsonObject(0).getString("id"));
        assertEquals("person-a", top1.getJsonArray("candidates").getJsonObject(0).getString("external_id"));
        assertEquals(0, top1.getInt("enrollments_left_out"));
        assertEquals(0, top1.getInt("profiles_left_out"));
        candidatesByIdOrExternalId(s, a, b);

        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + a, null, null).statusCode());
        problem(404, "profile_not_found", send(s, "GET", "/v1/speakers/" + a, null, null));
        problem(404, "profile_not_found", send(s, "DELETE", "/v1/speakers/" + a, null, null));
        JsonObject after = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_A)));
        assertEquals(1, after.getJsonArray("candidates").size(), "a deleted profile is gone from the index");
        assertEquals(b, after.getJsonArray("candidates").getJsonObject(0).getString("id"));
        return new String[] {a, b};
    }

    /** candidates names profiles by id or external id; entries that name no profile name nothing. */
    static void candidatesByIdOrExternalId(LibertyServer s, String a, String b) throws Exception {
        JsonObject byExternal = ok(200, send(s, "POST", "/v1/identify?candidates=person-a", "audio/wav",
                input(SPEAKER_B)));
        assertEquals(1, byExternal.getInt("profiles_scored"), "only A is searched, though B is B's audio");
        assertEquals(a, byExternal.getJsonArray("candidates").getJsonObject(0).getString("id"));
        JsonObject mixed = ok(200, send(s, "POST", "/v1/identify?candidates=" + b + ",%20person-a,nobody",
                "audio/wav", input(SPEAKER_B)));
        assertEquals(2, mixed.getInt("profiles_scored"));
        assertEquals(b, mixed.getJsonObject("identified").getString("id"));
        JsonObject none = ok(200, send(s, "POST", "/v1/identify?candidates=nobody,"
                + "00000000-0000-4000-8000-000000000000", "audio/wav", input(SPEAKER_B)));
        assertEquals(0, none.getInt("profiles_scored"));
        assertEquals(0, none.getJsonArray("candidates").size());
        assertFalse(none.containsKey("identified"), none.toString());
        problem(400, "invalid_option", send(s, "POST", "/v1/identify?candidates=person-a,,x", "audio/wav",
                input(SPEAKER_B)));
        problem(400, "invalid_option", send(s, "POST", "/v1/identify?candidates=" + "x,".repeat(1000) + "x",
                "audio/wav", input(SPEAKER_B)));
        problem(400, "invalid_external_id", send(s, "POST", "/v1/identify?candidates=" + "x".repeat(257),
                "audio/wav", input(SPEAKER_B)));
    }

    /**
     * Enrollments of another model (written straight into the database: this server makes only its own) are left
     * out of identification and counted, among every profile and among the candidates.
     */
    static void otherModelsAreLeftOutAndCounted(LibertyServer s, Connection c, String b) throws Exception {
        String otherModel = dev.speakerembedding.profiles.ModelIdentity.speechbrainEcapa("someone/other-model",
                "0123456789abcdef0123456789abcdef01234567", 4,
                dev.speakerembedding.profiles.ModelIdentity.Normalization.RAW).key();
        String onlyOther = create(s, "{\"external_id\":\"only-other\"}");
        String extraOfB = "00000000-0000-4000-8000-00000000000b";
        try (java.sql.PreparedStatement insert = c.prepareStatement("INSERT INTO enrollments (id, profile_id, "
                + "model_identity, dimension, embedding, duration_seconds, speech_seconds, created_at) "
                + "VALUES (?, ?, ?, 4, ?, 3, 2, CURRENT_TIMESTAMP)")) {
            String[][] rows = {{extraOfB, b}, {"00000000-0000-4000-8000-00000000000c", onlyOther},
                    {"00000000-0000-4000-8000-00000000000d", onlyOther}};
            for (String[] row : rows) {
                insert.setObject(1, java.util.UUID.fromString(row[0]));
                insert.setObject(2, java.util.UUID.fromString(row[1]));
                insert.setString(3, otherModel);
                insert.setBytes(4, new byte[16]);
                insert.executeUpdate();
            }
        }
        // A write through the service moves the change log on, so the count over every profile is taken again.
        String empty = create(s, "{}");
        // b enrolled, empty enrolling, only-other needs re-enrollment: the scraped counts say exactly that.
        assertProfileCounts(s, 1, 1, 1);
        JsonObject all = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_B)));
        assertEquals(3, all.getInt("enrollments_left_out"), all.toString());
        assertEquals(1, all.getInt("profiles_left_out"), "only-other has no enrollment of this model");
        assertEquals(1, all.getInt("profiles_scored"));
        assertEquals(b, all.getJsonObject("identified").getString("id"));
        JsonObject ofB = ok(200, send(s, "POST", "/v1/identify?candidates=" + b + "," + empty, "audio/wav",
                input(SPEAKER_B)));
        assertEquals(1, ofB.getInt("enrollments_left_out"));
        assertEquals(0, ofB.getInt("profiles_left_out"));
        JsonObject ofOther = ok(200, send(s, "POST", "/v1/identify?candidates=only-other", "audio/wav",
                input(SPEAKER_B)));
        assertEquals(2, ofOther.getInt("enrollments_left_out"));
        assertEquals(1, ofOther.getInt("profiles_left_out"));
        assertEquals(0, ofOther.getInt("profiles_scored"));
        assertEquals(0, ofOther.getJsonArray("candidates").size());
        assertEquals("needs_reenrollment", ok(200, send(s, "GET", "/v1/speakers/" + onlyOther, null, null))
                .getString("state"));
        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + b + "/enrollments/" + extraOfB, null, null)
                .statusCode());
        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + onlyOther, null, null).statusCode());
        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + empty, null, null).statusCode());
        JsonObject after = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_B)));
        assertEquals(0, after.getInt("enrollments_left_out"));
        assertEquals(0, after.getInt("profiles_left_out"));
        assertProfileCounts(s, 1, 0, 0);
    }

    /**
     * The speaker_embedding_profiles gauges equal these counts: the poller counts again within about
     * PROFILE_SYNC_INTERVAL_MS of a write, so it waits for them (up to 30 s) and then checks every state exactly.
     */
    static void assertProfileCounts(LibertyServer s, long enrolled, long enrolling, long needsReenrollment)
            throws Exception {
        Map<String, Long> expected = Map.of("enrolled", enrolled, "enrolling", enrolling, "needs_reenrollment",
                needsReenrollment);
        java.util.function.Function<String, Map<String, Long>> counts = text -> {
            PrometheusText m = PrometheusText.parse(text);
            Map<String, Long> got = new java.util.TreeMap<>();
            for (String state : expected.keySet()) {
                double v = m.single("speaker_embedding_profiles", Map.of("state", state));
                assertEquals(Math.rint(v), v, state + " is a whole number");
                got.put(state, (long) v);
            }
            return got;
        };
        try {
            s.awaitResponse("/metrics", r -> r.statusCode() == 200 && counts.apply(r.body()).equals(expected),
                    Duration.ofSeconds(30));
        } catch (AssertionError timeout) {
            // Falls through to the exact comparison, which names what was scraped instead.
        }
        HttpResponse<String> r = s.get("/metrics");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(new java.util.TreeMap<>(expected), counts.apply(r.body()));
    }

    static String embeddingBody(jakarta.json.JsonArray embedding, String repo, String commit, int dimension,
                                String normalization, double duration, double speech) {
        return "{\"embedding\":" + embedding + ",\"model\":{\"family\":\"speechbrain-ecapa\",\"repo\":\""
                + repo + "\",\"commit\":\"" + commit + "\",\"dimension\":" + dimension
                + ",\"normalization\":\"" + normalization + "\",\"precision\":\"fp32\"},\"duration_seconds\":"
                + duration + ",\"speech_seconds\":" + speech + "}";
    }

    /**
     * An embedding made by this server's model enrolls like its audio (the same file then verifies at 1.0); one of
     * another model, or an invalid one, is refused and stores nothing.
     */
    static void embeddingEnrollment(LibertyServer s) throws Exception {
        JsonObject model = ok(200, send(s, "GET", "/v1/model", null, null));
        String repo = model.getString("model");
        String commit = model.getString("commit");
        int dimension = model.getInt("dimension");
        JsonObject item = ok(200, send(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A)))
                .getJsonArray("data").getJsonObject(0);
        JsonArray embedding = item.getJsonArray("embedding");
        assertEquals(dimension, embedding.size());
        double duration = item.getJsonNumber("duration_seconds").doubleValue();
        String id = create(s, "{}");
        String path = "/v1/speakers/" + id + "/enrollments/embedding";

        problem(409, "model_mismatch", send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, "f".repeat(40), dimension, "raw", duration, 5).getBytes()));
        problem(409, "model_mismatch", send(s, "POST", path, "application/json",
                embeddingBody(embedding, "speechbrain/other", commit, dimension, "raw", duration, 5).getBytes()));
        HttpResponse<String> norm = send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, commit, dimension, "mean_var_norm", duration, 5).getBytes());
        problem(409, "model_mismatch", norm);
        assertTrue(json(norm.body()).getString("detail").contains("(normalization differ"), norm.body());
        JsonArray shorter = jakarta.json.Json.createArrayBuilder(embedding.subList(0, dimension - 1)).build();
        problem(422, "invalid_embedding", send(s, "POST", path, "application/json",
                embeddingBody(shorter, repo, commit, dimension, "raw", duration, 5).getBytes()));
        JsonArray zeros = jakarta.json.Json.createArrayBuilder(java.util.Collections.nCopies(dimension, 0)).build();
        problem(422, "invalid_embedding", send(s, "POST", path, "application/json",
                embeddingBody(zeros, repo, commit, dimension, "raw", duration, 5).getBytes()));
        JsonArray huge = jakarta.json.Json.createArrayBuilder(embedding.subList(1, dimension)).add(0, 1e39).build();
        problem(422, "invalid_embedding", send(s, "POST", path, "application/json",
                embeddingBody(huge, repo, commit, dimension, "raw", duration, 5).getBytes()));
        problem(422, "invalid_embedding", send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, commit, dimension, "raw", 2, 3).getBytes()));
        problem(422, "insufficient_speech", send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, commit, dimension, "raw", duration, 0.5).getBytes()));
        problem(400, "invalid_json", send(s, "POST", path, "application/json", "{\"embedding\":[1]}".getBytes()));
        problem(404, "profile_not_found", send(s, "POST", "/v1/speakers/00000000-0000-4000-8000-000000000000"
                + "/enrollments/embedding", "application/json",
                embeddingBody(embedding, repo, commit, dimension, "raw", duration, 5).getBytes()));
        assertEquals(0, ok(200, send(s, "GET", "/v1/speakers/" + id + "/enrollments", null, null))
                .getJsonArray("enrollments").size(), "refused embeddings stored nothing");

        JsonObject r = ok(201, send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, commit, dimension, "raw", duration, 5).getBytes()));
        JsonObject stored = r.getJsonArray("enrollments").getJsonObject(0);
        assertEquals(duration, stored.getJsonNumber("duration_seconds").doubleValue(), 1e-9);
        assertEquals(5.0, stored.getJsonNumber("speech_seconds").doubleValue());
        assertTrue(stored.getBoolean("current_model"));
        assertEquals(commit, stored.getString("commit"));
        assertEquals("enrolling", r.getJsonObject("speaker").getString("state"));
        JsonObject enrolled = ok(201, send(s, "POST", path, "application/json",
                embeddingBody(embedding, repo, commit, dimension, "raw", duration, 5).getBytes())).getJsonObject("speaker");
        assertEquals("enrolled", enrolled.getString("state"), "10 s of speech >= " + MIN_SPEECH_SECONDS);
        assertEquals(1.0, verify(s, id, SPEAKER_A), 1e-4, "the embedding of this very file");
        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + id, null, null).statusCode());
    }

    static void badInput(LibertyServer s, String enrolled) throws Exception {
        String unknown = "00000000-0000-4000-8000-000000000000";
        problem(404, "profile_not_found", send(s, "GET", "/v1/speakers/" + unknown, null, null));
        problem(404, "profile_not_found",
                send(s, "POST", "/v1/speakers/" + unknown + "/enrollments", "audio/wav", input(SPEAKER_A)));
        problem(400, "malformed_id", send(s, "GET", "/v1/speakers/not-a-uuid", null, null));
        problem(400, "malformed_id", send(s, "POST", "/v1/speakers/42/verify", "audio/wav", input(SPEAKER_A)));
        int profilesBefore = ok(200, send(s, "GET", "/v1/speakers", null, null)).getJsonArray("speakers").size();
        String big = "{\"metadata\":{\"x\":\"" + "y".repeat(5000) + "\"}}";
        problem(413, "metadata_too_large", send(s, "POST", "/v1/speakers", "application/json", big.getBytes()));
        problem(400, "invalid_metadata",
                send(s, "POST", "/v1/speakers", "application/json", "{\"metadata\":[1]}".getBytes()));
        problem(400, "invalid_json", send(s, "POST", "/v1/speakers", "application/json", "{\"name\":1}".getBytes()));
        create(s, "{\"external_id\":\"dup\"}");
        problem(409, "duplicate_external_id",
                send(s, "POST", "/v1/speakers", "application/json", "{\"external_id\":\"dup\"}".getBytes()));
        assertEquals(profilesBefore + 1,
                ok(200, send(s, "GET", "/v1/speakers", null, null)).getJsonArray("speakers").size(),
                "refused profiles left nothing behind");
        for (String top : new String[] {"0", "101", "x"}) {
            problem(400, "invalid_option", send(s, "POST", "/v1/identify?top=" + top, "audio/wav", input(SPEAKER_A)));
        }
        problem(400, "invalid_option", send(s, "GET", "/v1/speakers?limit=5000", null, null));
        problem(400, "invalid_option", send(s, "GET", "/v1/speakers?cursor=bogus", null, null));
        int enrollmentsBefore = ok(200, send(s, "GET", "/v1/speakers/" + enrolled + "/enrollments", null, null))
                .getJsonArray("enrollments").size();
        HttpResponse<String> silence = send(s, "POST", "/v1/speakers/" + enrolled + "/enrollments", "audio/wav",
                input("silence_1s_16k_s16.wav"));
        assertEquals(422, silence.statusCode(), silence.body());
        String code = json(silence.body()).getString("code");
        assertTrue(code.equals("audio_silent") || code.equals("insufficient_speech"), code);
        problem(422, "insufficient_speech", send(s, "POST", "/v1/speakers/" + enrolled + "/enrollments",
                "audio/wav", input("speech_0p25s_16k_s16.wav")));
        assertEquals(enrollmentsBefore, ok(200, send(s, "GET", "/v1/speakers/" + enrolled + "/enrollments", null,
                null)).getJsonArray("enrollments").size(), "refused enrollments stored nothing");
    }

    /** A multipart batch is stored all or none, in the order sent. */
    static void batchEnrollment(LibertyServer s) throws Exception {
        String id = create(s, "{}");
        String boundary = "edge-batch-boundary";
        HttpResponse<String> refused = send(s, "POST", "/v1/speakers/" + id + "/enrollments",
                "multipart/form-data; boundary=" + boundary,
                multipart(boundary, SPEAKER_B, "speech_0p25s_16k_s16.wav"));
        problem(422, "insufficient_speech", refused);
        assertTrue(json(refused.body()).getString("detail").startsWith("part 1 ('speech_0p25s_16k_s16.wav')"),
                refused.body());
        assertEquals(0, ok(200, send(s, "GET", "/v1/speakers/" + id + "/enrollments", null, null))
                .getJsonArray("enrollments").size(), "a refused batch stores none of its files");
        JsonObject r = ok(201, send(s, "POST", "/v1/speakers/" + id + "/enrollments",
                "multipart/form-data; boundary=" + boundary, multipart(boundary, SPEAKER_B, SPEAKER_A)));
        JsonArray stored = r.getJsonArray("enrollments");
        assertEquals(2, stored.size());
        assertEquals(2, r.getJsonObject("speaker").getInt("enrollments"));
        double sum = stored.getJsonObject(0).getJsonNumber("speech_seconds").doubleValue()
                + stored.getJsonObject(1).getJsonNumber("speech_seconds").doubleValue();
        assertEquals(sum, r.getJsonObject("speaker").getJsonNumber("speech_seconds").doubleValue(), 1e-6);
        problem(400, "invalid_multipart", send(s, "POST", "/v1/speakers/" + id + "/enrollments",
                "multipart/form-data; boundary=" + boundary,
                new String(multipart(boundary, SPEAKER_A), java.nio.charset.StandardCharsets.ISO_8859_1)
                        .replace("name=\"audio\"", "name=\"other\"").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertEquals(204, send(s, "DELETE", "/v1/speakers/" + id, null, null).statusCode());
    }

    static byte[] multipart(String boundary, String... files) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String file : files) {
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"" + file
                    + "\"\r\nContent-Type: audio/wav\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(input(file));
            out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        out.write(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** No row of any table holds profile {@code deleted}; {@code kept}'s enrollments are still there. */
    static void assertDeletedEverywhere(Connection c, String deleted, String kept, int keptEnrollments)
            throws SQLException {
        try (Statement st = c.createStatement()) {
            assertEquals(0, count(st, "SELECT COUNT(*) FROM profiles WHERE id = '" + deleted + "'"));
            assertEquals(0, count(st, "SELECT COUNT(*) FROM enrollments WHERE profile_id = '" + deleted + "'"));
            assertEquals(keptEnrollments, count(st, "SELECT COUNT(*) FROM enrollments"),
                    "only the kept profile's enrollments hold vectors");
            assertEquals(keptEnrollments, count(st, "SELECT COUNT(*) FROM enrollments WHERE profile_id = '"
                    + kept + "'"));
        }
    }

    private static int count(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void embeddedH2FromCreateToDeleteAndAcrossARestart() throws Exception {
        Path out = tmp.resolve("h2-server");
        Map<String, String> e = profileEnv(tmp.resolve("cache-h2"));
        String[] ids;
        int enrollmentsB;
        try (LibertyServer s = startWithProfiles(e, out)) {
            ids = mainFlow(s);
            enrollmentsB = ok(200, send(s, "GET", "/v1/speakers/" + ids[1] + "/enrollments", null, null))
                    .getJsonArray("enrollments").size();
            badInput(s, ids[1]);
            batchEnrollment(s);
            embeddingEnrollment(s);
            ok(200, send(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A)));
            String logs = s.allLogs();
            for (String identifying : new String[] {"person-a", "\"team\"", "blue"}) {
                assertFalse(logs.contains(identifying), "no external id or metadata in the logs: " + identifying);
            }
        }
        // DATA_DIR's default under the server's HOME (the test's output directory): never the model cache.
        Path dbFile = out.resolve(".local/share/speaker-embedding/profiles.mv.db");
        assertTrue(Files.isRegularFile(dbFile), "embedded database at " + dbFile);
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + out.resolve(
                ".local/share/speaker-embedding/profiles") + ";IFEXISTS=TRUE", "sa", "")) {
            assertDeletedEverywhere(c, ids[0], ids[1], enrollmentsB);
        }
        try (LibertyServer s = startWithProfiles(e, out)) {
            JsonObject b = ok(200, send(s, "GET", "/v1/speakers/" + ids[1], null, null));
            assertEquals("enrolled", b.getString("state"), "kept across a restart");
            JsonObject id = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_B)));
            assertEquals(ids[1], id.getJsonObject("identified").getString("id"), "the index is loaded at start");
            problem(404, "profile_not_found", send(s, "GET", "/v1/speakers/" + ids[0], null, null));
        }
    }

    static double[] embedding(LibertyServer s, String file) throws Exception {
        JsonArray values = ok(200, send(s, "POST", "/v1/embeddings", "audio/wav", input(file)))
                .getJsonArray("data").getJsonObject(0).getJsonArray("embedding");
        double[] v = new double[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = values.getJsonNumber(i).doubleValue();
        }
        return v;
    }

    static double[] unit(double[] v) {
        double norm = Math.sqrt(dot(v, v));
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / norm;
        }
        return u;
    }

    static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** README "Speaker profiles": the profile vector is the unit-length mean of the unit-length enrollments. */
    static double expectedScore(List<double[]> enrollments, double[] probe) {
        double[] mean = new double[probe.length];
        for (double[] e : enrollments) {
            double[] u = unit(e);
            for (int i = 0; i < mean.length; i++) {
                mean[i] += u[i] / enrollments.size();
            }
        }
        return dot(unit(mean), unit(probe));
    }

    static double score(JsonObject verification) {
        return verification.getJsonNumber("score").doubleValue();
    }

    /**
     * A profile enrolled under the speechbrain model, then the server restarted on a sherpa-onnx WeSpeaker model with
     * the same embedded database: the profile is another model's (needs_reenrollment, its enrollments kept, counted and
     * left out), exactly as for any model change. The sherpa model serves profiles of its own whose verify and
     * identify scores are the cosines of its embeddings (/v1/embeddings) with the profile vectors; its enrollments carry
     * the family and the ONNX file's sha256 in their identity. Back on speechbrain, its profile verifies again and the
     * sherpa ones are the other model's.
     */
    @Test
    void aModelChangeToASherpaModelLeavesSpeechbrainProfilesAsideAndServesItsOwn() throws Exception {
        Path data = tmp.resolve("model-change-data");
        Map<String, String> speechbrain = profileEnv(tmp.resolve("cache-model-change"));
        speechbrain.put("DATA_DIR", data.toString());
        Map<String, String> sherpa = new java.util.HashMap<>(speechbrain);
        sherpa.put("EMBEDDING_MODEL", SHERPA_REPO);
        sherpa.put("MODEL_FILE", SHERPA_FILE);

        String old;
        int oldEnrollments;
        double oldScore;
        try (LibertyServer s = startWithProfiles(speechbrain, tmp.resolve("model-change-speechbrain"))) {
            old = create(s, "{\"external_id\":\"enrolled-under-speechbrain\"}");
            oldEnrollments = enrollUntilEnrolled(s, old, SPEAKER_A);
            oldScore = verify(s, old, SPEAKER_B);
        }

        String a;
        String b;
        String c;
        int enrollmentsOfOwn = 0;
        String sha256;
        try (LibertyServer s = startWithProfiles(sherpa, tmp.resolve("model-change-sherpa"))) {
            JsonObject model = ok(200, send(s, "GET", "/v1/model", null, null));
            assertEquals("wespeaker", model.getString("family"));
            assertEquals(256, model.getInt("dimension"));
            sha256 = model.getJsonArray("files").getJsonObject(0).getString("sha256");

            // The speechbrain profile: another model's, kept and counted, never scored.
            JsonObject before = ok(200, send(s, "GET", "/v1/speakers/" + old, null, null));
            assertEquals("needs_reenrollment", before.getString("state"));
            assertEquals(0, before.getInt("enrollments"));
            assertEquals(oldEnrollments, before.getInt("other_model_enrollments"));
            assertEquals(0.0, before.getJsonNumber("speech_seconds").doubleValue());
            assertEquals(MIN_SPEECH_SECONDS, before.getJsonNumber("remaining_speech_seconds").doubleValue(), 1e-9);
            JsonArray kept = ok(200, send(s, "GET", "/v1/speakers/" + old + "/enrollments", null, null))
                    .getJsonArray("enrollments");
            assertEquals(oldEnrollments, kept.size());
            for (int i = 0; i < kept.size(); i++) {
                assertFalse(kept.getJsonObject(i).getBoolean("current_model"));
                assertEquals(ServerTestSupport.REPO, kept.getJsonObject(i).getString("model"));
            }
            HttpResponse<String> refused = send(s, "POST", "/v1/speakers/" + old + "/verify", "audio/wav",
                    input(SPEAKER_A));
            problem(409, "profile_not_enrolled", refused);
            assertTrue(json(refused.body()).getString("detail").contains("made by another model"), refused.body());
            JsonObject none = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_A)));
            assertEquals(0, none.getInt("profiles_scored"));
            assertEquals(1, none.getInt("profiles_left_out"));
            assertEquals(oldEnrollments, none.getInt("enrollments_left_out"));
            assertEquals(0, none.getJsonArray("candidates").size());

            // Profiles of the sherpa model: scores are the cosines of its embeddings with the profile vectors.
            double[] embA = embedding(s, SPEAKER_A);
            double[] embB = embedding(s, SPEAKER_B);
            String probe = "speech_44k1_s16_stereo.wav";
            double[] embProbe = embedding(s, probe);
            assertEquals(256, embA.length);
            a = create(s, "{\"external_id\":\"wespeaker-a\"}");
            b = create(s, "{}");
            enrollmentsOfOwn += enrollUntilEnrolled(s, a, SPEAKER_A);
            enrollmentsOfOwn += enrollUntilEnrolled(s, b, SPEAKER_B);
            assertEquals(1.0, verify(s, a, SPEAKER_A), 1e-5, "A's enrollments are of this very file");
            double crossAb = dot(unit(embA), unit(embB));
            double scoreAb = verify(s, a, SPEAKER_B);
            System.out.printf("wespeaker profiles: verify(A, B's file) %.7f, cosine of the embeddings %.7f%n",
                    scoreAb, crossAb);
            assertEquals(crossAb, scoreAb, 1e-5);
            assertEquals(crossAb, verify(s, b, SPEAKER_A), 1e-5);
            // A profile of two different files: the unit-length mean of both unit-length embeddings.
            c = create(s, "{}");
            List<double[]> ofC = new java.util.ArrayList<>();
            JsonObject batch = ok(201, send(s, "POST", "/v1/speakers/" + c + "/enrollments",
                    "multipart/form-data; boundary=model-change", multipart("model-change", SPEAKER_A, SPEAKER_B)));
            ofC.add(embA);
            ofC.add(embB);
            while (batch.getJsonObject("speaker").getString("state").equals("enrolling") && ofC.size() < 6) {
                batch = ok(201, send(s, "POST", "/v1/speakers/" + c + "/enrollments", "audio/wav", input(SPEAKER_B)));
                ofC.add(embB);
            }
            assertEquals("enrolled", batch.getJsonObject("speaker").getString("state"));
            enrollmentsOfOwn += ofC.size();
            double expectedC = expectedScore(ofC, embProbe);
            JsonObject verifiedC = ok(200, send(s, "POST", "/v1/speakers/" + c + "/verify", "audio/wav",
                    input(probe)));
            System.out.printf("wespeaker profiles: verify(C, %s) %.7f, expected from the embeddings %.7f%n", probe,
                    score(verifiedC), expectedC);
            assertEquals(expectedC, score(verifiedC), 1e-5);
            assertEquals(score(verifiedC) > 0.25, verifiedC.getBoolean("same_speaker"));
            assertEquals(SHERPA_REPO, verifiedC.getString("model"));

            JsonObject identified = ok(200, send(s, "POST", "/v1/identify?top=3", "audio/wav", input(probe)));
            assertEquals(3, identified.getInt("profiles_scored"));
            assertEquals(1, identified.getInt("profiles_left_out"), "the speechbrain profile");
            assertEquals(oldEnrollments, identified.getInt("enrollments_left_out"));
            Map<String, Double> expected = Map.of(a, expectedScore(List.of(embA), embProbe),
                    b, expectedScore(List.of(embB), embProbe), c, expectedC);
            JsonArray candidates = identified.getJsonArray("candidates");
            assertEquals(3, candidates.size());
            double previous = Double.POSITIVE_INFINITY;
            for (int i = 0; i < candidates.size(); i++) {
                JsonObject candidate = candidates.getJsonObject(i);
                double got = candidate.getJsonNumber("score").doubleValue();
                assertEquals(expected.get(candidate.getString("id")), got, 1e-5, candidate.toString());
                assertTrue(got <= previous, "best first");
                previous = got;
            }

            // An embedding of this model enrolls with its identity, model_sha256 included; speechbrain's does not.
            String d = create(s, "{}");
            String path = "/v1/speakers/" + d + "/enrollments/embedding";
            String commit = model.getString("commit");
            String identity = "\"repo\":\"" + SHERPA_REPO + "\",\"commit\":\"" + commit
                    + "\",\"dimension\":256,\"normalization\":\"raw\",\"precision\":\"fp32\"";
            String vector = java.util.Arrays.toString(embA);
            String body = "{\"embedding\":" + vector + ",\"duration_seconds\":7,\"speech_seconds\":5,\"model\":{"
                    + "\"family\":\"wespeaker\"," + identity;
            HttpResponse<String> noSha = send(s, "POST", path, "application/json", (body + "}}").getBytes());
            problem(409, "model_mismatch", noSha);
            assertTrue(json(noSha.body()).getString("detail").contains("model_sha256"), noSha.body());
            problem(409, "model_mismatch", send(s, "POST", path, "application/json", ("{\"embedding\":" + vector
                    + ",\"duration_seconds\":7,\"speech_seconds\":5,\"model\":{\"family\":\"speechbrain-ecapa\","
                    + identity + ",\"model_sha256\":\"" + sha256 + "\"}}").getBytes()));
            JsonObject stored = ok(201, send(s, "POST", path, "application/json",
                    (body + ",\"model_sha256\":\"" + sha256 + "\"}}").getBytes()));
            assertTrue(stored.getJsonArray("enrollments").getJsonObject(0).getBoolean("current_model"));
            enrollmentsOfOwn++;
        }

        // Back on speechbrain: its profile is scored as before, the sherpa model's are the other model's.
        try (LibertyServer s = startWithProfiles(speechbrain, tmp.resolve("model-change-back"))) {
            assertEquals("enrolled", ok(200, send(s, "GET", "/v1/speakers/" + old, null, null)).getString("state"));
            assertEquals(oldScore, verify(s, old, SPEAKER_B), 1e-6, "the same vectors, the same score");
            JsonObject ofA = ok(200, send(s, "GET", "/v1/speakers/" + a, null, null));
            assertEquals("needs_reenrollment", ofA.getString("state"));
            JsonObject all = ok(200, send(s, "POST", "/v1/identify", "audio/wav", input(SPEAKER_A)));
            assertEquals(1, all.getInt("profiles_scored"));
            assertEquals(old, all.getJsonObject("identified").getString("id"));
            assertEquals(4, all.getInt("profiles_left_out"), "A, B, C and the embedding-enrolled one");
            assertEquals(enrollmentsOfOwn, all.getInt("enrollments_left_out"));
        }

        // What the database holds: speechbrain's keys as they always were, the sherpa model's with family and sha256.
        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + data.resolve("profiles")
                + ";IFEXISTS=TRUE", "sa", ""); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT model_identity, COUNT(*) FROM enrollments GROUP BY model_identity"
                     + " ORDER BY model_identity")) {
            Map<String, Integer> byIdentity = new java.util.TreeMap<>();
            while (rs.next()) {
                byIdentity.put(rs.getString(1), rs.getInt(2));
            }
            assertEquals(2, byIdentity.size(), byIdentity.toString());
            for (Map.Entry<String, Integer> e : byIdentity.entrySet()) {
                if (e.getKey().contains("family=speechbrain-ecapa")) {
                    assertTrue(e.getKey().matches("v1;family=speechbrain-ecapa;repo=" + ServerTestSupport.REPO
                            + ";commit=[0-9a-f]{40};dim=32;norm=raw;precision=fp32"), e.getKey());
                    assertEquals(oldEnrollments, e.getValue());
                } else {
                    assertTrue(e.getKey().matches("v1;family=wespeaker;repo=" + SHERPA_REPO
                            + ";commit=[0-9a-f]{40};dim=256;norm=raw;precision=fp32;sha256=" + sha256), e.getKey());
                    assertEquals(enrollmentsOfOwn, e.getValue());
                }
            }
        }
    }

    @Test
    void postgresqlMainFlow() throws Exception {
        String schema = "profiles_it_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String admin = "jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/test";
        Function<String, Connection> connect = url -> {
            try {
                return DriverManager.getConnection(url, "postgres", "");
            } catch (SQLException ex) {
                return fail("PostgreSQL is not reachable at " + PG_HOST + ":" + PG_PORT + " (database test, user "
                        + "postgres): " + ex.getMessage() + "; " + PG_START_HINT, ex);
            }
        };
        try (Connection c = connect.apply(admin); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        try {
            Map<String, String> e = profileEnv(tmp.resolve("cache-pg"));
            e.put("PROFILE_DB_URL", admin + "?currentSchema=" + schema);
            e.put("PROFILE_DB_USER", "postgres");
            e.put("PROFILE_DB_PASSWORD", "not-needed-with-trust-auth");
            String[] ids;
            int enrollmentsB;
            Path out = tmp.resolve("pg-server");
            try (LibertyServer s = startWithProfiles(e, out)) {
                ids = mainFlow(s);
                try (Connection c = connect.apply(admin + "?currentSchema=" + schema)) {
                    otherModelsAreLeftOutAndCounted(s, c, ids[1]);
                }
                enrollmentsB = ok(200, send(s, "GET", "/v1/speakers/" + ids[1] + "/enrollments", null, null))
                        .getJsonArray("enrollments").size();
                assertFalse(s.allLogs().contains("not-needed-with-trust-auth"), "the password is never logged");
            }
            assertFalse(Files.exists(out.resolve(".local/share/speaker-embedding/profiles.mv.db")),
                    "no embedded database when PROFILE_DB_URL is set");
            try (Connection c = connect.apply(admin + "?currentSchema=" + schema)) {
                assertDeletedEverywhere(c, ids[0], ids[1], enrollmentsB);
            }
        } finally {
            try (Connection c = connect.apply(admin); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @Test
    void anUnreachableDatabaseLeavesEmbeddingsWorkingAndProfilesAnswer503() throws Exception {
        Map<String, String> e = profileEnv(tmp.resolve("cache-down"));
        e.put("PROFILE_DB_URL", "jdbc:postgresql://127.0.0.1:" + LibertyServer.freePort() + "/none");
        e.put("PROFILE_DB_USER", "nobody");
        e.put("PROFILE_DB_PASSWORD", "secret-password-never-logged");
        try (LibertyServer s = ServerTestSupport.startReady(e, tmp.resolve("down-server"))) {
            ok(200, send(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A)));
            HttpResponse<String> r = send(s, "POST", "/v1/speakers", "application/json", "{}".getBytes());
            problem(503, "profile_store_unavailable", r);
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            problem(503, "profile_store_unavailable", send(s, "GET", "/v1/speakers", null, null));
            JsonObject ready = ServerTestSupport.checkData(s.get("/health/ready").body());
            assertEquals("unavailable", ready.getString("profile_store"), "readiness says what is missing");
            assertTrue(ready.getString("profile_store_error").contains("profile database cannot be used"),
                    ready.toString());
            assertEquals(200, s.get("/health/ready").statusCode(), "and does not gate on it");
            assertNotEquals(-1, s.allLogs().indexOf("profile database cannot be used"), "the log says why");
            assertFalse(s.allLogs().contains("secret-password-never-logged"), "the password is never logged");
        }
    }

    /**
     * A database that cannot be used at start and can later: the embedded one under a DATA_DIR whose parent is a
     * regular file (H2 cannot create its directory). Profiles answer 503 meanwhile; once the file is gone the
     * service connects by itself, within PROFILE_DB_RETRY_SECONDS, with no restart.
     */
    @Test
    void theServiceConnectsByItselfOnceTheDatabaseCanBeUsed() throws Exception {
        Path blocker = tmp.resolve("blocker");
        Files.writeString(blocker, "not a directory");
        Map<String, String> e = profileEnv(tmp.resolve("cache-late"));
        e.put("DATA_DIR", blocker.resolve("data").toString());
        try (LibertyServer s = ServerTestSupport.startReady(e, tmp.resolve("late-server"))) {
            problem(503, "profile_store_unavailable",
                    send(s, "POST", "/v1/speakers", "application/json", "{}".getBytes()));
            ok(200, send(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A)));
            Files.delete(blocker);
            s.awaitResponse("/v1/speakers?limit=1", r -> r.statusCode() == 200, Duration.ofSeconds(30));
            create(s, "{\"external_id\":\"late\"}");
            assertEquals("available", ServerTestSupport.checkData(s.get("/health/ready").body())
                    .getString("profile_store"));
            assertTrue(Files.isRegularFile(blocker.resolve("data/profiles.mv.db")), "the database in DATA_DIR");
        }
    }
}
