package dev.speakerembedding.model.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.sherpa.SherpaFamily;
import dev.speakerembedding.model.sherpa.SherpaOnnxFamily;
import dev.speakerembedding.model.speechbrain.SpeechbrainFamily;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which family serves a repository: MODEL_FILE, MODEL_FAMILY and the repository's files. */
class ModelFamiliesTest {

    static final List<String> SPEECHBRAIN = List.of("hyperparams.yaml", "embedding_model.ckpt",
            "mean_var_norm_emb.ckpt", "classifier.ckpt", "label_encoder.txt", "README.md");
    /** As in csukuangfj/speaker-embedding-models. */
    static final List<String> SEVERAL = List.of("README.md",
            "3dspeaker_speech_eres2net_base_sv_zh-cn_3dspeaker_16k.onnx", "wespeaker_en_voxceleb_resnet34.onnx",
            "nemo_en_titanet_small.onnx");

    static ModelFamily choose(String file, String family, List<String> files) {
        return ModelFamilies.choose(Optional.ofNullable(file), Optional.ofNullable(family),
                Optional.ofNullable(files));
    }

    @Test
    void withoutSettingsTheRepositoryIsSpeechbrains() {
        assertSame(SpeechbrainFamily.INSTANCE, choose(null, null, null));
        assertSame(SpeechbrainFamily.INSTANCE, choose(null, null, SPEECHBRAIN));
    }

    @Test
    void modelFilePicksTheOnnxFile() {
        ModelFamily family = choose("wespeaker_en_voxceleb_resnet34.onnx", null, SEVERAL);
        assertEquals(new SherpaOnnxFamily("wespeaker_en_voxceleb_resnet34.onnx", null), family);
        assertEquals(List.of("wespeaker_en_voxceleb_resnet34.onnx"), family.format().requiredFiles());
        assertEquals(new SherpaOnnxFamily("m.onnx", SherpaFamily.NEMO), choose("m.onnx", "NeMo", null));
    }

    @Test
    void oneOnnxFileIsFoundByItself() {
        assertEquals(new SherpaOnnxFamily("model.onnx", null), choose(null, null, List.of("README.md", "model.onnx")));
        assertEquals(new SherpaOnnxFamily("voxceleb_resnet34.onnx", SherpaFamily.WESPEAKER),
                choose(null, "wespeaker", List.of("voxceleb_resnet34.onnx", "config.yaml")));
    }

    @Test
    void severalOnnxFilesWithoutModelFileAreListed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> choose(null, null, SEVERAL));
        assertTrue(e.getMessage().contains("3 .onnx files") && e.getMessage().contains("nemo_en_titanet_small.onnx")
                && e.getMessage().contains("wespeaker_en_voxceleb_resnet34.onnx")
                && e.getMessage().contains("set MODEL_FILE"), e.getMessage());
    }

    @Test
    void aRepositoryWithNoModelNamesWhatItHoldsAndWhatIsSupported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> choose(null, null, List.of("README.md", "model.bin")));
        assertTrue(e.getMessage().contains("model.bin") && e.getMessage().contains("speechbrain")
                && e.getMessage().contains("wespeaker, 3d-speaker, nemo"), e.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        IllegalArgumentException notOnnx = assertThrows(IllegalArgumentException.class,
                () -> choose("embedding_model.ckpt", null, null));
        assertTrue(notOnnx.getMessage().contains("not an .onnx file"), notOnnx.getMessage());
        IllegalArgumentException family = assertThrows(IllegalArgumentException.class,
                () -> choose("m.onnx", "titanet", null));
        assertTrue(family.getMessage().contains("MODEL_FAMILY is 'titanet'"), family.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> choose("other.onnx", null, SEVERAL));
        assertTrue(absent.getMessage().contains("not in the repository"), absent.getMessage());
        IllegalArgumentException familyOnly = assertThrows(IllegalArgumentException.class,
                () -> choose(null, "nemo", null));
        assertTrue(familyOnly.getMessage().contains("set MODEL_FILE"), familyOnly.getMessage());
    }
}
