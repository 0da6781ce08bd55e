package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.profiles.ModelIdentity;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON of enrollSpeakerEmbedding: read strictly, and matched to the serving model field by field. */
class EmbeddingEnrollmentRequestTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final ModelIdentity SERVING = ModelIdentity.speechbrainEcapa("speechbrain/spkrec-ecapa-voxceleb",
            COMMIT, 3, ModelIdentity.Normalization.RAW);

    private static String model(String family, String repo, String commit, String dimension, String norm,
                                String precision) {
        return "{\"family\":\"" + family + "\",\"repo\":\"" + repo + "\",\"commit\":\"" + commit
                + "\",\"dimension\":" + dimension + ",\"normalization\":\"" + norm + "\",\"precision\":\""
                + precision + "\"}";
    }

    private static final String SAME = model("speechbrain-ecapa", "speechbrain/spkrec-ecapa-voxceleb", COMMIT, "3",
            "raw", "fp32");

    private static String body(String embedding, String model, String duration, String speech) {
        return "{\"embedding\":" + embedding + ",\"model\":" + model + ",\"duration_seconds\":" + duration
                + ",\"speech_seconds\":" + speech + "}";
    }

    private static EmbeddingEnrollmentRequest parse(String json) throws ProblemException {
        return EmbeddingEnrollmentRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String code(String json) {
        ProblemException e = assertThrows(ProblemException.class, () -> parse(json), json);
        return e.type().code();
    }

    @Test
    void aWellFormedBodyReadsBackWithEveryValue() throws Exception {
        EmbeddingEnrollmentRequest r = parse(body("[1.5, -2, 1e-3]", SAME, "6.5", "5.25"));
        assertArrayEquals(new float[] {1.5f, -2f, 1e-3f}, r.embedding());
        assertEquals(6.5, r.durationSeconds());
        assertEquals(5.25, r.speechSeconds());
        assertEquals(List.of(), r.mismatches(SERVING), "the serving model's own identity");
    }

    /** A model served from an ONNX file is also named by the file's sha256. */
    @Test
    void anOnnxFileModelComparesTheFileHash() throws Exception {
        String sha = "ab".repeat(32);
        ModelIdentity serving = ModelIdentity.onnxFile("wespeaker", "csukuangfj/speaker-embedding-models", COMMIT, 3,
                sha);
        String without = model("wespeaker", "csukuangfj/speaker-embedding-models", COMMIT, "3", "raw", "fp32");
        String with = without.replace("}", ",\"model_sha256\":\"" + sha + "\"}");
        assertEquals(List.of(), parse(body("[1,2,3]", with, "2", "1")).mismatches(serving));
        assertEquals(List.of("model_sha256"), parse(body("[1,2,3]", without, "2", "1")).mismatches(serving));
        assertEquals(List.of("model_sha256"), parse(body("[1,2,3]", with.replace(sha, "cd".repeat(32)), "2", "1"))
                .mismatches(serving));
        assertEquals(List.of("model_sha256"), parse(body("[1,2,3]", SAME.replace("}", ",\"model_sha256\":\""
                + sha + "\"}"), "2", "1")).mismatches(SERVING), "speechbrain identities carry no file hash");
    }

    @Test
    void everyDifferingFieldIsNamed() throws Exception {
        assertEquals(List.of("commit", "normalization"), parse(body("[1,2,3]", model("speechbrain-ecapa",
                "speechbrain/spkrec-ecapa-voxceleb", "f".repeat(40), "3", "mean_var_norm", "fp32"), "2", "1"))
                .mismatches(SERVING));
        assertEquals(List.of("family", "repo", "dimension", "precision"), parse(body("[1,2,3]", model("other",
                "someone/else", COMMIT, "4", "raw", "fp16"), "2", "1")).mismatches(SERVING));
        assertEquals(List.of("commit"), parse(body("[1,2,3]", model("speechbrain-ecapa",
                "speechbrain/spkrec-ecapa-voxceleb", "not hex; at all", "3", "raw", "fp32"), "2", "1"))
                .mismatches(SERVING), "a value no identity could have is simply another model");
    }

    @Test
    void valuesBeyondFloat32AreKeptInfiniteForTheVectorCheckToRefuse() throws Exception {
        float[] e = parse(body("[1e39, 1, 2]", SAME, "2", "1")).embedding();
        assertTrue(Float.isInfinite(e[0]));
    }

    @Test
    void malformedBodiesAreInvalidJson() {
        assertEquals("invalid_json", code("not json"));
        assertEquals("invalid_json", code("[1,2,3]"));
        assertEquals("invalid_json", code("{}"));
        assertEquals("invalid_json", code(body("[1,\"2\",3]", SAME, "2", "1")));
        assertEquals("invalid_json", code(body("[1,null,3]", SAME, "2", "1")));
        assertEquals("invalid_json", code(body("{\"0\":1}", SAME, "2", "1")));
        assertEquals("invalid_json", code(body("[1,2,3]", "\"" + COMMIT + "\"", "2", "1")));
        assertEquals("invalid_json", code(body("[1,2,3]", SAME, "\"2\"", "1")));
        assertEquals("invalid_json", code(body("[1,2,3]", SAME, "2", "null")));
        assertEquals("invalid_json", code(body("[1,2,3]", SAME.replace("\"dimension\":3", "\"dimension\":3.5"),
                "2", "1")));
        assertEquals("invalid_json", code(body("[1,2,3]", SAME.replace(",\"precision\":\"fp32\"", ""), "2", "1")));
        assertEquals("invalid_json", code(body("[1,2,3]", SAME.replace("}", ",\"device\":\"cpu\"}"), "2", "1")));
        assertEquals("invalid_json", code("{\"embedding\":[1,2,3],\"model\":" + SAME
                + ",\"duration_seconds\":2,\"speech_seconds\":1,\"audio\":\"x\"}"));
    }
}
