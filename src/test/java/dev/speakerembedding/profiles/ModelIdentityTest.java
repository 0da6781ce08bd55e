package dev.speakerembedding.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.speakerembedding.profiles.ModelIdentity.Normalization;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelIdentityTest {

    static final String REPO = "speechbrain/spkrec-ecapa-voxceleb";
    static final String COMMIT = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286";
    static final ModelIdentity ECAPA_RAW = ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, Normalization.RAW);

    @Test
    void theKeySpellsEveryFieldInAFixedOrder() {
        assertEquals("v1;family=speechbrain-ecapa;repo=speechbrain/spkrec-ecapa-voxceleb"
                + ";commit=0f99f2d0ebe89ac095bcc5903c4dd8f72b367286;dim=192;norm=raw;precision=fp32", ECAPA_RAW.key());
        assertEquals("v1;family=speechbrain-ecapa;repo=speechbrain/spkrec-ecapa-voxceleb"
                        + ";commit=0f99f2d0ebe89ac095bcc5903c4dd8f72b367286;dim=192;norm=mean_var_norm;precision=fp32",
                ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, Normalization.MEAN_VAR_NORM).key());
    }

    @Test
    void aKeyParsesBackToAnEqualIdentity() {
        for (Normalization n : Normalization.values()) {
            ModelIdentity id = new ModelIdentity("wespeaker-resnet34", "Wespeaker/wespeaker-voxceleb-resnet34",
                    COMMIT, 256, n, "fp16");
            ModelIdentity parsed = ModelIdentity.parse(id.key());
            assertEquals(id, parsed);
            assertEquals(id.key(), parsed.key());
            assertEquals(id.hashCode(), parsed.hashCode());
        }
        assertEquals(ECAPA_RAW, ModelIdentity.parse(ECAPA_RAW.key()));
    }

    /** A model served from one ONNX file names its family and the file's sha256; the key ends with the hash. */
    @Test
    void anOnnxFileIdentityCarriesTheFileHash() {
        String sha = "ab".repeat(32);
        ModelIdentity id = ModelIdentity.onnxFile("3d-speaker", "csukuangfj/speaker-embedding-models", COMMIT, 192,
                sha);
        assertEquals("v1;family=3d-speaker;repo=csukuangfj/speaker-embedding-models;commit=" + COMMIT
                + ";dim=192;norm=raw;precision=fp32;sha256=" + sha, id.key());
        assertEquals(id, ModelIdentity.parse(id.key()));
        assertNotEquals(id, ModelIdentity.onnxFile("3d-speaker", "csukuangfj/speaker-embedding-models", COMMIT, 192,
                "cd".repeat(32)), "another file of the same commit is another model");
        assertNotEquals(id, ModelIdentity.onnxFile("wespeaker", "csukuangfj/speaker-embedding-models", COMMIT, 192,
                sha));
        assertThrows(IllegalArgumentException.class, () -> ModelIdentity.parse(id.key().replace(sha, "xyz")));
        assertEquals(null, ModelIdentity.parse(ECAPA_RAW.key()).modelSha256(), "speechbrain's key is unchanged");
    }

    @Test
    void everyFieldThatChangesTheNumbersMakesAnotherIdentity() {
        List<ModelIdentity> others = List.of(
                new ModelIdentity("wespeaker-resnet34", REPO, COMMIT, 192, Normalization.RAW, "fp32"),
                ModelIdentity.speechbrainEcapa("speechbrain/other", COMMIT, 192, Normalization.RAW),
                ModelIdentity.speechbrainEcapa(REPO, "1" + COMMIT.substring(1), 192, Normalization.RAW),
                ModelIdentity.speechbrainEcapa(REPO, COMMIT, 256, Normalization.RAW),
                ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, Normalization.MEAN_VAR_NORM),
                new ModelIdentity(ModelIdentity.SPEECHBRAIN_ECAPA, REPO, COMMIT, 192, Normalization.RAW, "int8"));
        for (ModelIdentity other : others) {
            assertNotEquals(ECAPA_RAW, other);
            assertNotEquals(ECAPA_RAW.key(), other.key());
        }
        assertEquals(others.size(), others.stream().map(ModelIdentity::key).distinct().count());
    }

    @Test
    void malformedKeysAreRefused() {
        String good = ECAPA_RAW.key();
        List<String> bad = List.of(
                "",
                good.replace("v1;", "v2;"),
                good.replace(";precision=fp32", ""),
                good + ";extra=1",
                good.replace("dim=192", "dim=0"),
                good.replace("dim=192", "dim=-5"),
                good.replace("dim=192", "dim=1000000"),
                good.replace("norm=raw", "norm=unit"),
                good.replace(COMMIT, COMMIT.toUpperCase()),
                good.replace(COMMIT, COMMIT.substring(2)),
                good.replace("repo=speechbrain/", "repo=../"),
                good.replace("repo=speechbrain/spkrec-ecapa-voxceleb", "repo=a/b/c"),
                good.replace("family=speechbrain-ecapa", "family=Speechbrain"),
                good.replace(";commit=", ";dim=192;commit="),
                "v1;" + "x".repeat(ModelIdentity.MAX_KEY_LENGTH));
        for (String key : bad) {
            assertThrows(IllegalArgumentException.class, () -> ModelIdentity.parse(key), key);
        }
    }

    @Test
    void invalidFieldsAreRefusedAtConstruction() {
        assertThrows(IllegalArgumentException.class,
                () -> ModelIdentity.speechbrainEcapa(REPO, COMMIT, 0, Normalization.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> ModelIdentity.speechbrainEcapa("a;dim=1", COMMIT, 192, Normalization.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> ModelIdentity.speechbrainEcapa(REPO, "main", 192, Normalization.RAW));
        assertThrows(IllegalArgumentException.class,
                () -> new ModelIdentity("x=y", REPO, COMMIT, 192, Normalization.RAW, "fp32"));
        assertThrows(NullPointerException.class,
                () -> ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, null));
    }

    @Test
    void theLongestValidKeyFitsTheStoredLength() {
        String name = "n".repeat(96);
        ModelIdentity longest = new ModelIdentity("f".repeat(32), name + "/" + name, COMMIT,
                ModelIdentity.MAX_DIMENSION, Normalization.MEAN_VAR_NORM, "p".repeat(32));
        assertEquals(longest, ModelIdentity.parse(longest.key()));
        assertEquals(true, longest.key().length() <= ModelIdentity.MAX_KEY_LENGTH, longest.key().length() + " chars");
    }

    @Test
    void anInt8ConversionHasItsOwnIdentity() {
        ModelIdentity int8 = ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, Normalization.RAW, ModelIdentity.INT8);
        assertEquals(ECAPA_RAW.key().replace(";precision=fp32", ";precision=int8"), int8.key());
        assertNotEquals(ECAPA_RAW, int8);
        assertEquals(int8, ModelIdentity.parse(int8.key()));
        assertEquals(ECAPA_RAW, ModelIdentity.speechbrainEcapa(REPO, COMMIT, 192, Normalization.RAW,
                ModelIdentity.FP32));
    }
}
