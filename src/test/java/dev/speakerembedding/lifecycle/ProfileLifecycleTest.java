package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.speechbrain.SpeechbrainFamily;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.testing.Npy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileLifecycleTest {

    @Test
    void failureTextsLoseAnyPasswordTheUrlHeld() {
        String redacted = ProfileLifecycle.redacted("Unable to obtain connection from database "
                + "(jdbc:postgresql://db:5432/p?user=u&password=s3cret&ssl=true) for user 'u'");
        assertFalse(redacted.contains("s3cret"), redacted);
        assertEquals("x (jdbc:h2:file:/d;PASSWORD=***;X=1)", ProfileLifecycle.redacted("x (jdbc:h2:file:/d;PASSWORD=p;X=1)"));
        assertEquals("(no message)", ProfileLifecycle.redacted(null));
    }

    @Test
    void storedVectorsCarryTheRawFloat32OutputOfTheServedModel() {
        ModelIdentity id = ProfileLifecycle.identity("org/model", "0123456789abcdef0123456789abcdef01234567", 192);
        assertEquals("v1;family=speechbrain-ecapa;repo=org/model;commit=0123456789abcdef0123456789abcdef01234567"
                + ";dim=192;norm=raw;precision=fp32", id.key());
    }

    /** The precision is part of the identity: int8 vectors never meet float32 ones, whose key is unchanged. */
    @Test
    void theIdentityOfAnInt8ConversionDiffersOnlyInItsPrecision(@TempDir Path converted) throws Exception {
        Path small = Npy.conformanceDir().resolve("small");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        try (SpeakerModel float32 = SpeechbrainFamily.INSTANCE.load(small, List.of(),
                new ModelLoadSettings(converted, ModelRuntimeOptions.defaults(), ModelPrecision.FLOAT32));
             SpeakerModel int8 = SpeechbrainFamily.INSTANCE.load(small, List.of(),
                     new ModelLoadSettings(converted, ModelRuntimeOptions.defaults(), ModelPrecision.INT8))) {
            String fp32Key = ProfileLifecycle.identity("org/model", commit, float32).key();
            String int8Key = ProfileLifecycle.identity("org/model", commit, int8).key();
            assertEquals("v1;family=speechbrain-ecapa;repo=org/model;commit=" + commit
                    + ";dim=32;norm=raw;precision=fp32", fp32Key, "float32 keys stay byte-identical");
            assertEquals(fp32Key.replace("precision=fp32", "precision=int8"), int8Key);
            assertNotEquals(ProfileLifecycle.identity("org/model", commit, float32),
                    ProfileLifecycle.identity("org/model", commit, int8));
            assertEquals(ModelIdentity.parse(int8Key), ProfileLifecycle.identity("org/model", commit, int8));
        }
    }
}
