package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract as a Python user meets it: the client openapi-generator's {@code python} generator makes from the
 * committed snapshot (the pom's test-client-python execution) calls every operation of a real server, unmodified,
 * through src/test/python/call_every_operation.py; this test checks what came back. Python generators send JSON
 * whenever an operation offers it, so an operation that lists a file form and a JSON form is broken for them; this
 * is where that shows. Needs python3 with the generated client's requirements (pydantic 2, urllib3 2,
 * python-dateutil, typing-extensions): without them the test fails and says what to install.
 */
class PythonClientIT {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "."));
    private static final Path CLIENT = ROOT.resolve("target/generated-test-sources/openapi-python");
    private static final Path SCRIPTS = ROOT.resolve("src/test/python");
    private static final Path SNAPSHOT = ROOT.resolve("src/main/openapi/openapi.yaml");
    /** The interpreter; -Dpython=/path/to/python3 picks another. */
    private static final String PYTHON = System.getProperty("python", "python3");
    private static final long SCRIPT_TIMEOUT_SECONDS = 300;
    private static final String INSTALL_HINT = "PythonClientIT runs the generated Python client and needs python3 "
            + "(3.10 or later) with the client's requirements (" + CLIENT.resolve("requirements.txt") + "): "
            + "pydantic >= 2.11, urllib3 >= 2.7, python-dateutil, typing-extensions. Install them with "
            + "`python3 -m pip install -r " + CLIENT.resolve("requirements.txt") + "` (Debian's python3-pydantic "
            + "is too old), or point -Dpython= at an interpreter that has them.";

    /** speechbrain's verify_files score of chirp_1s.wav against speech_espeak_en_f3.wav (small model). */
    private static final double CHIRP_VS_F3 = 0.9478021860122681;
    private static final double SCORE_TOLERANCE = 1e-5;
    private static final double EMBEDDING_TOLERANCE = 5e-5;
    private static final int DIMENSION = 32;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static JsonObject report;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void runTheGeneratedClient() throws Exception {
        requirePythonWithClientRequirements();
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> serverEnv = env(hub, tmp.resolve("cache"));
        // One enrollment of the espeak file (several seconds of speech) enrolls a profile.
        serverEnv.put("ENROLLMENT_MIN_SPEECH_SECONDS", "2");
        server = ProfilesIT.startWithProfiles(serverEnv, tmp.resolve("server"));
        String stdout = python(SCRIPTS.resolve("call_every_operation.py").toString(),
                "http://127.0.0.1:" + server.httpPort(), Npy.conformanceDir().resolve("inputs").toString());
        report = json(stdout.strip());
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private static void requirePythonWithClientRequirements() throws Exception {
        if (!Files.isRegularFile(CLIENT.resolve("requirements.txt"))) {
            fail("No generated Python client in " + CLIENT + ": run the build's generate-test-sources phase "
                    + "(the openapi-generator-maven-plugin's test-client-python execution) first");
        }
        String unmet;
        try {
            unmet = python(SCRIPTS.resolve("check_client_requirements.py").toString(), CLIENT.toString());
        } catch (IOException e) {
            throw new AssertionError("Cannot run '" + PYTHON + "' (" + e.getMessage() + "). " + INSTALL_HINT, e);
        }
        if (!unmet.isBlank()) {
            fail("'" + PYTHON + "' lacks what the generated client needs:\n  "
                    + String.join("\n  ", unmet.strip().split("\n")) + "\n" + INSTALL_HINT);
        }
    }

    /** Runs a Python script with the generated client on its path; its standard output, or a failure with stderr. */
    private static String python(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(PYTHON);
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "python", ".out");
        Path err = Files.createTempFile(tmp, "python", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        String inherited = env.get("PYTHONPATH");
        env.put("PYTHONPATH", inherited == null || inherited.isEmpty() ? CLIENT.toString()
                : CLIENT + File.pathSeparator + inherited);
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONIOENCODING", "utf-8");
        Process p = pb.start();
        if (!p.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in " + SCRIPT_TIMEOUT_SECONDS + " s; stderr:\n"
                    + Files.readString(err));
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited with " + p.exitValue() + ":\n" + stderr);
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** What the generated client returned for one call, failing with the client's exception when it raised one. */
    private static JsonObject value(String call, String expectedType) {
        JsonObject result = report.getJsonObject("results").getJsonObject(call);
        assertTrue(result != null, "the script made no call '" + call + "'");
        if (result.containsKey("exception")) {
            fail("the generated Python client's " + result.getString("operation") + " (" + call + ") raised "
                    + result.getString("exception") + ": " + result);
        }
        assertEquals(expectedType, result.getString("type"), call + " returns the generated model class");
        return result.getJsonObject("value");
    }

    /** The problem document the generated client raised for one call, which must have raised. */
    private static JsonObject problem(String call, int status) {
        JsonObject result = report.getJsonObject("results").getJsonObject(call);
        assertTrue(result != null && result.containsKey("status"), call + " must fail with an HTTP status: " + result);
        assertEquals(status, result.getInt("status"), result.toString());
        assertEquals("Problem", result.getString("data_type"), "the client reads the problem document as Problem");
        return json(result.getString("body"));
    }

    private static double finite(JsonObject object, String field) {
        double v = object.getJsonNumber(field).doubleValue();
        assertTrue(Double.isFinite(v), field + " is " + v);
        return v;
    }

    private static float[] vector(JsonArray values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            JsonValue v = values.get(i);
            assertEquals(JsonValue.ValueType.NUMBER, v.getValueType(), "item " + i);
            out[i] = (float) ((JsonNumber) v).doubleValue();
            assertTrue(Float.isFinite(out[i]), "item " + i + " is " + out[i]);
        }
        return out;
    }

    private static float[] firstEmbedding(JsonObject response) {
        return vector(response.getJsonArray("data").getJsonObject(0).getJsonArray("embedding"));
    }

    private static float[] speechbrain(String file) throws IOException {
        return Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(file)).data();
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            assertTrue(diff <= tolerance, what + " item " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** camelCase operationId to the method name the python generator gives it. */
    private static String snakeCase(String operationId) {
        Matcher m = Pattern.compile("([a-z0-9])([A-Z])").matcher(operationId);
        return m.replaceAll("$1_$2").toLowerCase(Locale.ROOT);
    }

    @Test
    void everyOperationOfTheDocumentWasCalled() throws Exception {
        TreeSet<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\s+operationId:\\s*(\\S+)\\s*$").matcher(Files.readString(SNAPSHOT));
        while (m.find()) {
            documented.add(snakeCase(m.group(1)));
        }
        assertFalse(documented.isEmpty(), "no operationId found in " + SNAPSHOT);
        List<String> generated = report.getJsonArray("operations").getValuesAs(JsonValue::toString).stream()
                .map(s -> s.replace("\"", "")).toList();
        assertEquals(List.copyOf(documented), generated, "the generated client has one method per operation");
        assertEquals(0, report.getJsonArray("uncalled").size(), "operations the script did not call: "
                + report.getJsonArray("uncalled"));
    }

    @Test
    void statusAndModel() {
        JsonObject status = value("status", "Status");
        assertEquals("healthy", status.getString("status"));
        assertTrue(status.getBoolean("model_loaded"));
        assertEquals("READY", status.getString("state"));
        assertEquals(REPO, status.getString("model_name"));
        JsonObject model = value("model", "ModelInfo");
        assertEquals(REPO, model.getString("model"));
        assertEquals(hub.commit(REPO), model.getString("commit"));
        assertEquals(DIMENSION, model.getInt("dimension"));
        assertEquals(16000, model.getInt("sample_rate_hz"));
        assertEquals(ServerTestSupport.requiredFiles().size(), model.getJsonArray("files").size());
        for (JsonValue f : model.getJsonArray("files")) {
            JsonObject file = f.asJsonObject();
            assertEquals(hub.file(REPO, file.getString("name")).sha256(), file.getString("sha256"));
        }
        assertFalse(model.getString("loaded_at").isBlank(), "loaded_at read as a date-time");
    }

    @Test
    void oneFileIsABatchOfOneAndGetsSpeechbrainsEmbedding() throws Exception {
        JsonObject one = value("embed_one", "EmbeddingResponse");
        assertEquals(DIMENSION, one.getInt("dimension"));
        assertEquals(hub.commit(REPO), one.getString("commit"));
        assertEquals(1, one.getJsonArray("data").size());
        JsonObject item = one.getJsonArray("data").getJsonObject(0);
        assertEquals("speech_espeak_en.wav", item.getString("name"));
        assertEquals(DIMENSION, item.getJsonArray("embedding").size());
        assertClose(speechbrain("speech_espeak_en.embedding.npy"), firstEmbedding(one), EMBEDDING_TOLERANCE,
                "raw embedding");
        JsonObject normalized = value("embed_normalized", "EmbeddingResponse");
        assertTrue(normalized.getBoolean("normalize"));
        assertClose(speechbrain("speech_espeak_en.embedding_normalize_true.npy"), firstEmbedding(normalized),
                EMBEDDING_TOLERANCE, "normalize=true embedding");
    }

    @Test
    void aBatchWithUnitLength() {
        JsonObject batch = value("embed_batch", "EmbeddingResponse");
        assertTrue(batch.getBoolean("unit_length"));
        JsonArray data = batch.getJsonArray("data");
        assertEquals(List.of("chirp_1s.wav", "speech_8k_s16_mono.wav"),
                data.getValuesAs(JsonObject.class).stream().map(i -> i.getString("name")).toList());
        for (int i = 0; i < data.size(); i++) {
            JsonObject item = data.getJsonObject(i);
            assertEquals(i, item.getInt("index"));
            float[] v = vector(item.getJsonArray("embedding"));
            assertEquals(DIMENSION, v.length);
            assertEquals(1.0, Math.sqrt(dot(v, v)), 1e-5, "unit length of item " + i);
        }
    }

    @Test
    void twoFilesAreVerifiedAsMultipart() {
        JsonObject r = value("verify_files", "VerificationResponse");
        assertEquals(CHIRP_VS_F3, finite(r, "score"), SCORE_TOLERANCE, "speechbrain's verify_files score");
        assertEquals(0.25, finite(r, "threshold"));
        assertTrue(r.getBoolean("same_speaker"));
        assertEquals(REPO, r.getString("model"));
        assertEquals(hub.commit(REPO), r.getString("commit"));
        JsonObject self = value("verify_same_file", "VerificationResponse");
        assertEquals(1.0, finite(self, "score"), SCORE_TOLERANCE, "a file against itself");
        assertEquals(0.999, finite(self, "threshold"));
        assertTrue(self.getBoolean("same_speaker"));
    }

    @Test
    void twoEmbeddingsAreComparedAsJson() {
        float[] chirp = firstEmbedding(value("embed_chirp", "EmbeddingResponse"));
        float[] f3 = firstEmbedding(value("embed_f3", "EmbeddingResponse"));
        JsonObject r = value("compare", "VerificationResponse");
        double score = finite(r, "score");
        assertEquals(Npy.cosine(chirp, f3), score, 1e-6, "the cosine of the two embeddings, computed here");
        assertEquals(CHIRP_VS_F3, score, SCORE_TOLERANCE, "what POST /v1/verify scores for the two files");
        assertEquals(0.25, finite(r, "threshold"));
        assertTrue(r.getBoolean("same_speaker"));
        assertFalse(r.containsKey("model") || r.containsKey("commit"), "no model was involved: " + r);
        JsonObject strict = value("compare_strict", "VerificationResponse");
        assertEquals(score, finite(strict, "score"));
        assertEquals(0.99, finite(strict, "threshold"));
        assertFalse(strict.getBoolean("same_speaker"), "0.948 is not above 0.99");
    }

    @Test
    void errorsArriveAsProblemDocuments() {
        JsonObject silent = problem("embed_silence", 422);
        assertEquals("audio_silent", silent.getString("code"));
        assertEquals("urn:speaker-embedding:problem:audio-silent", silent.getString("type"));
        JsonObject mismatched = problem("compare_mismatched", 422);
        assertEquals("invalid_embedding", mismatched.getString("code"));
        assertTrue(mismatched.getString("detail").contains(DIMENSION + " values"), mismatched.toString());
    }

    @Test
    void speakersAreEnrolledVerifiedIdentifiedAndDeleted() {
        JsonObject a = value("create_speaker", "Speaker");
        assertEquals("python-a", a.getString("external_id"));
        assertEquals("enrolling", a.getString("state"));
        assertEquals("green", a.getJsonObject("metadata").getString("team"));
        String id = a.getString("id");
        assertEquals("enrolling", value("create_speaker_empty", "Speaker").getString("state"));
        JsonObject enrolled = value("enroll", "EnrollmentResult");
        assertEquals(1, enrolled.getJsonArray("enrollments").size());
        assertTrue(finite(enrolled.getJsonArray("enrollments").getJsonObject(0), "speech_seconds") >= 2.0);
        assertEquals("enrolled", enrolled.getJsonObject("speaker").getString("state"));
        assertEquals(0.0, finite(enrolled.getJsonObject("speaker"), "remaining_speech_seconds"));
        assertEquals(id, value("get_speaker", "Speaker").getString("id"));
        assertEquals(id, value("list_speakers", "SpeakerPage").getJsonArray("speakers").getJsonObject(0)
                .getString("id"));
        assertEquals(1, value("list_enrollments", "EnrollmentList").getJsonArray("enrollments").size());
        double same = finite(value("verify_speaker_same", "SpeakerVerification"), "score");
        assertEquals(1.0, same, 1e-4, "the enrolled file itself");
        JsonObject other = value("verify_speaker_other", "SpeakerVerification");
        assertTrue(finite(other, "score") < same);
        assertFalse(other.getBoolean("same_speaker"));
        assertEquals("profile_not_enrolled", problem("verify_not_enrolled", 409).getString("code"));
        JsonObject identified = value("identify", "Identification");
        assertEquals(id, identified.getJsonObject("identified").getString("id"));
        assertEquals("python-a", identified.getJsonObject("identified").getString("external_id"));
        assertEquals(1, identified.getJsonArray("candidates").size(), "the other profile is not enrolled");
        JsonObject mismatch = problem("enroll_embedding_other_model", 409);
        assertEquals("model_mismatch", mismatch.getString("code"));
        assertTrue(mismatch.getString("detail").contains("(commit differ"), mismatch.toString());
        JsonObject byEmbedding = value("enroll_embedding", "EnrollmentResult");
        assertEquals(1, byEmbedding.getJsonArray("enrollments").size(), "only the matching embedding was stored");
        assertTrue(byEmbedding.getJsonArray("enrollments").getJsonObject(0).getBoolean("current_model"));
        assertEquals("enrolled", byEmbedding.getJsonObject("speaker").getString("state"));
        assertEquals(1.0, finite(value("verify_embedding_enrolled", "SpeakerVerification"), "score"), 1e-4,
                "the embedding of the very file verified");
        for (String call : List.of("delete_enrollment", "delete_speaker", "delete_speaker_empty")) {
            JsonObject r = report.getJsonObject("results").getJsonObject(call);
            assertEquals("NoneType", r.getString("type", "(none: " + r + ")"), call + ": 204 reads as None");
        }
        assertEquals(2, value("enroll_batch", "EnrollmentResult").getJsonArray("enrollments").size());
        assertEquals(2, value("reset_enrollments", "EnrollmentReset").getInt("deleted"));
        assertEquals("profile_not_found", problem("get_deleted_speaker", 404).getString("code"));
    }
}
