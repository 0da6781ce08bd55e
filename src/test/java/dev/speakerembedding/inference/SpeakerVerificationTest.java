package dev.speakerembedding.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.Npy;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SpeakerVerificationTest {

    /** speechbrain scores in float32; this implementation in double. */
    private static final double SPEECHBRAIN_TOLERANCE = 1e-6;

    @Test
    void aVectorAgainstItselfScoresExactlyOne() {
        float[] v = {0.1f, -3.7f, 2.25f, 1e-3f, 7f};
        assertEquals(1.0, SpeakerVerification.cosine(v, v));
    }

    @Test
    void knownAngles() {
        assertEquals(0.0, SpeakerVerification.cosine(new float[] {1, 0}, new float[] {0, 3}), 1e-15);
        assertEquals(-1.0, SpeakerVerification.cosine(new float[] {1, 2}, new float[] {-2, -4}), 1e-15);
        assertEquals(Math.sqrt(0.5), SpeakerVerification.cosine(new float[] {1, 0}, new float[] {5, 5}), 1e-15);
    }

    @Test
    void aZeroVectorScoresZeroAsTorchDoes() {
        assertEquals(0.0, SpeakerVerification.cosine(new float[] {0, 0, 0}, new float[] {1, 2, 3}));
    }

    @Test
    void theDecisionIsStrictlyAboveTheThreshold() {
        float[] a = {1, 0};
        float[] b = {0, 1};
        assertFalse(SpeakerVerification.verify(a, b, 0.0).sameSpeaker(), "0 > 0 is false, as in speechbrain");
        assertTrue(SpeakerVerification.verify(a, b, -0.01).sameSpeaker());
        assertEquals(0.25, SpeakerVerification.verify(a, b, 0.25).threshold());
    }

    @Test
    void differentLengthsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> SpeakerVerification.cosine(new float[] {1, 2}, new float[] {1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> SpeakerVerification.cosine(new float[0], new float[0]));
    }

    /** verify_batch's scores of speechbrain's own embeddings, for every pair of conformance inputs. */
    @Test
    void scoresEqualSpeechbrainsCosineMatrix() throws Exception {
        Path dir = Npy.conformanceDir().resolve("expected/small");
        JsonObject reference;
        try (JsonReader r = Json.createReader(Files.newBufferedReader(dir.resolve("cosine_similarity.json")))) {
            reference = r.readObject();
        }
        JsonArray inputs = reference.getJsonArray("inputs");
        JsonArray matrix = reference.getJsonArray("matrix");
        float[][] embeddings = new float[inputs.size()][];
        for (int i = 0; i < inputs.size(); i++) {
            String stem = inputs.getString(i).replace(".wav", "");
            embeddings[i] = Npy.read(dir.resolve(stem + ".embedding.npy")).data();
        }
        for (int i = 0; i < inputs.size(); i++) {
            for (int j = 0; j < inputs.size(); j++) {
                double expected = matrix.getJsonArray(i).getJsonNumber(j).doubleValue();
                double actual = SpeakerVerification.cosine(embeddings[i], embeddings[j]);
                assertEquals(expected, actual, SPEECHBRAIN_TOLERANCE,
                        inputs.getString(i) + " vs " + inputs.getString(j));
                assertEquals(SpeakerVerification.cosine(embeddings[j], embeddings[i]), actual, "symmetric");
            }
        }
    }
}
