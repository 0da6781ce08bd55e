package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.client.ApiClient;
import dev.speakerembedding.client.ApiException;
import dev.speakerembedding.client.api.EmbeddingsApi;
import dev.speakerembedding.client.api.ModelApi;
import dev.speakerembedding.client.api.SpeakersApi;
import dev.speakerembedding.client.api.StatusApi;
import dev.speakerembedding.client.api.VerificationApi;
import dev.speakerembedding.client.model.EmbeddingEnrollment;
import dev.speakerembedding.client.model.EmbeddingItem;
import dev.speakerembedding.client.model.EmbeddingPair;
import dev.speakerembedding.client.model.EmbeddingResponse;
import dev.speakerembedding.client.model.Enrollment;
import dev.speakerembedding.client.model.EnrollmentReset;
import dev.speakerembedding.client.model.EnrollmentResult;
import dev.speakerembedding.client.model.Identification;
import dev.speakerembedding.client.model.NewSpeaker;
import dev.speakerembedding.client.model.ModelFile;
import dev.speakerembedding.client.model.ModelIdentity;
import dev.speakerembedding.client.model.ModelInfo;
import dev.speakerembedding.client.model.Problem;
import dev.speakerembedding.client.model.Speaker;
import dev.speakerembedding.client.model.SpeakerVerification;
import dev.speakerembedding.client.model.Status;
import dev.speakerembedding.client.model.VerificationResponse;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI contract: a client generated from the committed snapshot (src/main/openapi/openapi.yaml, by the
 * openapi-generator plugin, used here exactly as generated) calls every operation of a real server; and the
 * document that server serves must be the snapshot ({@link PythonClientIT} does the same with the python generator's
 * client). Run with {@code -Dopenapi.snapshot.update=true}
 * to rewrite the snapshot from the server after an intended API change (then review the diff and rebuild, so the
 * client is regenerated from it).
 */
class OpenApiContractIT {

    private static final Path SNAPSHOT = Path.of(System.getProperty("project.root", "."))
            .resolve("src/main/openapi/openapi.yaml");
    private static final boolean UPDATE_SNAPSHOT = Boolean.getBoolean("openapi.snapshot.update");

    private static HubStandIn hub;
    private static LibertyServer server;
    private static ApiClient client;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> env = env(hub, tmp.resolve("cache"));
        // One enrollment of the espeak file (several seconds of speech) enrolls a profile.
        env.put("ENROLLMENT_MIN_SPEECH_SECONDS", "2");
        server = ProfilesIT.startWithProfiles(env, tmp.resolve("server"));
        client = new ApiClient();
        client.updateBaseUri("http://127.0.0.1:" + server.httpPort());
        client.setReadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private static File input(String name) {
        return Npy.conformanceDir().resolve("inputs").resolve(name).toFile();
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static float[] speechbrain(String stem) throws Exception {
        return Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(stem + ".embedding.npy")).data();
    }

    @Test
    void theServedDocumentIsTheSnapshotTheClientWasGeneratedFrom() throws Exception {
        HttpResponse<String> served = server.get("/openapi");
        assertEquals(200, served.statusCode());
        if (UPDATE_SNAPSHOT) {
            Files.writeString(SNAPSHOT, OpenApiDocuments.withoutServers(served.body()), StandardCharsets.UTF_8);
            System.out.println("Rewrote " + SNAPSHOT + " from the server: review the diff, then rebuild.");
            return;
        }
        Map<String, Object> snapshot = OpenApiDocuments.parse(Files.readString(SNAPSHOT));
        List<String> differences = OpenApiDocuments.differences(snapshot, OpenApiDocuments.parse(served.body()));
        if (!differences.isEmpty()) {
            fail("The server's OpenAPI document differs from " + SNAPSHOT + ", which the test client is generated "
                    + "from. If the change is intended, refresh the snapshot (mvn verify -Dit.test=OpenApiContractIT "
                    + "-Dopenapi.snapshot.update=true) and review its diff:\n  " + String.join("\n  ", differences));
        }
        HttpResponse<String> json = server.get("/openapi?format=json");
        assertTrue(OpenApiDocuments.differences(snapshot, OpenApiDocuments.parse(json.body())).isEmpty(),
                "the JSON form carries the same document");
    }

    @Test
    void everyOperationIsDocumentedForClients() throws Exception {
        Map<String, Object> doc = OpenApiDocuments.parse(Files.readString(SNAPSHOT));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, Object>>> paths =
                (Map<String, Map<String, Map<String, Object>>>) doc.get("paths");
        assertEquals(List.of("/v1/embeddings", "/v1/identify", "/v1/model", "/v1/speakers", "/v1/speakers/{id}",
                "/v1/speakers/{id}/enrollments", "/v1/speakers/{id}/enrollments/embedding",
                "/v1/speakers/{id}/enrollments/{enrollmentId}",
                "/v1/speakers/{id}/verify", "/v1/status", "/v1/verify", "/v1/verify/embeddings"),
                paths.keySet().stream().sorted().toList());
        for (var path : paths.entrySet()) {
            for (var op : path.getValue().entrySet()) {
                String where = op.getKey().toUpperCase() + " " + path.getKey();
                Map<String, Object> operation = op.getValue();
                for (String field : List.of("operationId", "summary", "description", "responses")) {
                    assertNotNull(operation.get(field), where + " has " + field);
                }
                assertJsonBodyStandsAlone(where, operation);
                boolean profileOperation = path.getKey().startsWith("/v1/speakers")
                        || path.getKey().equals("/v1/identify");
                assertEquals(profileOperation, String.valueOf(operation.get("security")).contains("bearerJwt"),
                        where + ": the bearer JWT scheme is on the profile operations and only there");
                if (profileOperation) {
                    assertTrue(((Map<?, ?>) operation.get("responses")).keySet().containsAll(List.of("401", "403")),
                            where + " documents 401 and 403");
                }
                @SuppressWarnings("unchecked")
                Map<String, Map<String, Object>> responses =
                        (Map<String, Map<String, Object>>) operation.get("responses");
                for (var response : responses.entrySet()) {
                    if (response.getKey().startsWith("4") || response.getKey().startsWith("5")) {
                        Map<String, Object> answer = resolve(doc, response.getValue());
                        String content = String.valueOf(answer.get("content"));
                        assertTrue(content.contains("application/problem+json")
                                && content.contains("#/components/schemas/Problem"), where + " " + response.getKey());
                    }
                }
            }
        }
        HttpResponse<String> ui = server.get("/openapi/ui/");
        assertEquals(200, ui.statusCode());
        assertTrue(ui.body().toLowerCase().contains("swagger"), "Swagger UI is served");
    }

    /** A response, or the shared one in components/responses its $ref names (the profile endpoints' 401, 403). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> resolve(Map<String, Object> doc, Map<String, Object> response) {
        Object ref = response.get("$ref");
        if (ref == null) {
            return response;
        }
        String prefix = "#/components/responses/";
        assertTrue(String.valueOf(ref).startsWith(prefix), "a response $ref into components/responses: " + ref);
        Map<String, Object> shared = ((Map<String, Map<String, Object>>) ((Map<String, Object>) doc.get("components"))
                .get("responses")).get(String.valueOf(ref).substring(prefix.length()));
        assertNotNull(shared, "components/responses has " + ref);
        return shared;
    }

    /**
     * Generators send JSON whenever an operation's request body offers it, and build the method's parameters from
     * the first media type: a JSON form next to a file form gives a file method that sends JSON (the python
     * generator's verify_speakers did). So an operation that takes JSON takes nothing else.
     */
    @SuppressWarnings("unchecked")
    private static void assertJsonBodyStandsAlone(String where, Map<String, Object> operation) {
        Map<String, Object> body = (Map<String, Object>) operation.get("requestBody");
        if (body == null) {
            return;
        }
        Map<String, Object> content = (Map<String, Object>) body.get("content");
        boolean json = content.keySet().stream().anyMatch(type -> type.toLowerCase().contains("json"));
        assertTrue(!json || content.size() == 1, where + " offers JSON beside other request media types "
                + content.keySet() + ": generated clients would send JSON for all of them");
    }

    @Test
    void generatedClientEmbedsOneFile() throws Exception {
        EmbeddingResponse r = new EmbeddingsApi(client).createEmbeddings(List.of(input("speech_espeak_en.wav")),
                null, null);
        assertEquals(REPO, r.getModel());
        assertEquals(hub.commit(REPO), r.getCommit());
        assertEquals(32, r.getDimension());
        assertEquals(1, r.getData().size());
        EmbeddingItem item = r.getData().get(0);
        assertEquals("speech_espeak_en.wav", item.getName());
        assertEquals(16000, item.getSampleRateHz());
        assertTrue(Npy.maxAbsDiff(speechbrain("speech_espeak_en"), floats(item.getEmbedding())) <= 5e-5);
    }

    @Test
    void generatedClientEmbedsABatchWithOptions() throws Exception {
        List<String> names = List.of("chirp_1s.wav", "speech_8k_s16_mono.wav", "speech_48k_s24_mono_extensible.wav");
        EmbeddingsApi api = new EmbeddingsApi(client);
        EmbeddingResponse batch = api.createEmbeddings(names.stream().map(OpenApiContractIT::input).toList(), false,
                true);
        assertTrue(batch.getUnitLength());
        assertEquals(names.size(), batch.getData().size());
        for (int i = 0; i < names.size(); i++) {
            EmbeddingItem item = batch.getData().get(i);
            assertEquals(i, item.getIndex());
            assertEquals(names.get(i), item.getName());
            EmbeddingItem single = api.createEmbeddings(List.of(input(names.get(i))), false, true).getData().get(0);
            assertEquals(single.getEmbedding(), item.getEmbedding(), names.get(i));
            assertEquals(single.getDurationSeconds(), item.getDurationSeconds());
        }
    }

    @Test
    void generatedClientVerifiesTwoFiles() throws Exception {
        VerificationApi api = new VerificationApi(client);
        VerificationResponse r = api.verifySpeakers(input("chirp_1s.wav"), input("speech_espeak_en_f3.wav"), null);
        assertEquals(0.9478021860122681, r.getScore(), 1e-5, "speechbrain's verify_files score");
        assertEquals(0.25, r.getThreshold());
        assertTrue(r.getSameSpeaker());
        assertEquals(r.getScore(), api.verifySpeakers(input("speech_espeak_en_f3.wav"), input("chirp_1s.wav"), null)
                .getScore(), "symmetric");
        VerificationResponse self = api.verifySpeakers(input("noise_3s.wav"), input("noise_3s.wav"), 0.999);
        assertEquals(1.0, self.getScore(), 1e-9);
        assertTrue(self.getSameSpeaker());
    }

    @Test
    void generatedClientComparesTwoEmbeddings() throws Exception {
        EmbeddingsApi embeddings = new EmbeddingsApi(client);
        List<Float> a = embeddings.createEmbeddings(List.of(input("chirp_1s.wav")), null, null).getData().get(0)
                .getEmbedding();
        List<Float> b = embeddings.createEmbeddings(List.of(input("speech_espeak_en_f3.wav")), null, null).getData()
                .get(0).getEmbedding();
        VerificationApi api = new VerificationApi(client);
        VerificationResponse r = api.compareEmbeddings(new EmbeddingPair().a(a).b(b), null);
        assertTrue(Double.isFinite(r.getScore()), "score " + r.getScore());
        assertEquals(Npy.cosine(floats(a), floats(b)), r.getScore(), 1e-6, "the cosine of the two embeddings");
        assertEquals(api.verifySpeakers(input("chirp_1s.wav"), input("speech_espeak_en_f3.wav"), null).getScore(),
                r.getScore(), 1e-5, "what verifySpeakers scores for the two files");
        assertEquals(0.25, r.getThreshold());
        assertTrue(r.getSameSpeaker());
        assertNull(r.getModel(), "no model was involved");
        assertFalse(api.compareEmbeddings(new EmbeddingPair().a(a).b(b), 0.99).getSameSpeaker());
        ApiException e = assertThrows(ApiException.class,
                () -> api.compareEmbeddings(new EmbeddingPair().a(a).b(b.subList(1, b.size())), null));
        assertEquals(422, e.getCode());
        assertEquals("invalid_embedding", client.getObjectMapper().readValue(e.getResponseBody(), Problem.class)
                .getCode());
    }

    @Test
    void generatedClientReadsTheModelInfoAndStatus() throws Exception {
        ModelInfo m = new ModelApi(client).getModel();
        assertEquals(REPO, m.getModel());
        assertEquals("main", m.getRevision());
        assertEquals(hub.commit(REPO), m.getCommit());
        assertEquals(32, m.getDimension());
        assertEquals(16000, m.getSampleRateHz());
        assertFalse(m.getOnnxruntimeVersion().isBlank());
        assertTrue(m.getLoadedAt().isBefore(OffsetDateTime.now()));
        assertEquals(ServerTestSupport.requiredFiles(), m.getFiles().stream().map(ModelFile::getName).toList());
        for (ModelFile f : m.getFiles()) {
            assertEquals(hub.file(REPO, f.getName()).sha256(), f.getSha256());
        }
        assertEquals(hub.file(REPO, "embedding_model.ckpt").sha256(), m.getConversion().getCheckpointSha256());
        Status status = new StatusApi(client).getStatus();
        assertEquals(Status.StatusEnum.HEALTHY, status.getStatus());
        assertEquals("READY", status.getState());
        assertTrue(status.getModelLoaded());
    }

    /** An embedding of the served model enrolls b; one of another model is refused with model_mismatch. */
    private void embeddingEnrollment(SpeakersApi api, Speaker b) throws Exception {
        ModelInfo m = new ModelApi(client).getModel();
        EmbeddingItem item = new EmbeddingsApi(client).createEmbeddings(List.of(input("speech_espeak_en.wav")),
                null, null).getData().get(0);
        Function<String, EmbeddingEnrollment> withCommit = commit -> new EmbeddingEnrollment()
                .embedding(item.getEmbedding()).durationSeconds(item.getDurationSeconds())
                .speechSeconds(item.getDurationSeconds())
                .model(new ModelIdentity().family("speechbrain-ecapa").repo(m.getModel()).commit(commit)
                        .dimension(m.getDimension()).normalization(ModelIdentity.NormalizationEnum.RAW)
                        .precision("fp32"));
        ApiException mismatch = assertThrows(ApiException.class,
                () -> api.enrollSpeakerEmbedding(b.getId(), withCommit.apply("f".repeat(40))));
        assertEquals(409, mismatch.getCode());
        assertEquals("model_mismatch", client.getObjectMapper().readValue(mismatch.getResponseBody(), Problem.class)
                .getCode());
        EnrollmentResult r = api.enrollSpeakerEmbedding(b.getId(), withCommit.apply(m.getCommit()));
        assertEquals(1, r.getEnrollments().size(), "only the matching embedding was stored");
        assertEquals(Speaker.StateEnum.ENROLLED, r.getSpeaker().getState());
        assertEquals(1.0, api.verifySpeaker(b.getId(), input("speech_espeak_en.wav"), null).getScore(), 1e-4);
    }

    @Test
    void generatedClientManagesEnrollsVerifiesAndIdentifiesSpeakers() throws Exception {
        SpeakersApi api = new SpeakersApi(client);
        Speaker a = api.createSpeaker(new NewSpeaker().externalId("java-a").metadata(Map.of("team", "blue")));
        assertEquals(Speaker.StateEnum.ENROLLING, a.getState());
        assertEquals(2.0, a.getRemainingSpeechSeconds());
        Speaker b = api.createSpeaker(new NewSpeaker());
        assertNull(b.getExternalId());

        EnrollmentResult enrolled = api.enrollSpeaker(a.getId(), List.of(input("speech_espeak_en.wav")));
        assertEquals(1, enrolled.getEnrollments().size());
        Enrollment first = enrolled.getEnrollments().get(0);
        assertTrue(first.getSpeechSeconds() >= 2.0, "espeak speech " + enrolled);
        assertTrue(first.getCurrentModel());
        assertEquals(hub.commit(REPO), first.getCommit());
        assertEquals(Speaker.StateEnum.ENROLLED, enrolled.getSpeaker().getState());
        assertEquals(0.0, enrolled.getSpeaker().getRemainingSpeechSeconds());

        assertEquals("blue", api.getSpeaker(a.getId()).getMetadata().get("team"));
        assertEquals(List.of(a.getId()), api.listSpeakers(null, "java-a", null).getSpeakers().stream()
                .map(Speaker::getId).toList());
        assertTrue(api.listSpeakers(null, null, 1000).getSpeakers().size() >= 2);
        List<Enrollment> enrollments = api.listEnrollments(a.getId()).getEnrollments();
        assertEquals(1, enrollments.size());

        SpeakerVerification same = api.verifySpeaker(a.getId(), input("speech_espeak_en.wav"), null);
        assertEquals(1.0, same.getScore(), 1e-4, "the enrolled file itself");
        assertTrue(same.getSameSpeaker());
        SpeakerVerification other = api.verifySpeaker(a.getId(), input("speech_espeak_en_f3.wav"), 0.999);
        assertTrue(other.getScore() < same.getScore());
        assertFalse(other.getSameSpeaker());
        assertEquals(0.999, other.getThreshold());

        Identification id = api.identifySpeaker(input("speech_espeak_en.wav"), null, null, 3);
        assertEquals(a.getId(), id.getIdentified().getId());
        assertEquals("java-a", id.getIdentified().getExternalId());
        assertEquals(a.getId(), api.identifySpeaker(input("speech_espeak_en.wav"), a.getId(), null, 1)
                .getCandidates().get(0).getId());

        ApiException notEnrolled = assertThrows(ApiException.class,
                () -> api.verifySpeaker(b.getId(), input("speech_espeak_en.wav"), null));
        assertEquals(409, notEnrolled.getCode());
        assertEquals("profile_not_enrolled", client.getObjectMapper()
                .readValue(notEnrolled.getResponseBody(), Problem.class).getCode());

        embeddingEnrollment(api, b);

        api.deleteEnrollment(enrollments.get(0).getId(), a.getId());
        assertEquals(Speaker.StateEnum.ENROLLING, api.getSpeaker(a.getId()).getState());
        assertEquals(2, api.enrollSpeaker(a.getId(), List.of(input("speech_espeak_en.wav"),
                input("speech_espeak_en_f3.wav"))).getEnrollments().size(), "a batch of two");
        EnrollmentReset reset = api.resetEnrollments(a.getId());
        assertEquals(2, reset.getDeleted());
        assertEquals(0, reset.getSpeaker().getEnrollments());
        api.deleteSpeaker(a.getId());
        ApiException gone = assertThrows(ApiException.class, () -> api.getSpeaker(a.getId()));
        assertEquals(404, gone.getCode());
        assertEquals("profile_not_found", client.getObjectMapper().readValue(gone.getResponseBody(), Problem.class)
                .getCode());
        api.deleteSpeaker(b.getId());
    }

    @Test
    void generatedClientSeesProblemDocuments() throws Exception {
        ApiException e = assertThrows(ApiException.class, () -> new EmbeddingsApi(client)
                .createEmbeddings(List.of(input("silence_1s_16k_s16.wav")), null, null));
        assertEquals(422, e.getCode());
        Problem p = client.getObjectMapper().readValue(e.getResponseBody(), Problem.class);
        assertEquals("audio_silent", p.getCode());
        assertEquals(422, p.getStatus());
        assertEquals("urn:speaker-embedding:problem:audio-silent", p.getType());
    }
}
