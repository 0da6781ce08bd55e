package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.SharedConformance;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EcapaHyperparamsTest {

    /** A copy of the full model's hyperparams.yaml (same structure as the hub's spkrec-ecapa-voxceleb). */
    static final Path FULL_COPY = Path.of("src/test/resources/model/hyperparams-full.yaml");

    static final EcapaHyperparams FULL = new EcapaHyperparams(80, 80, List.of(1024, 1024, 1024, 1024, 3072),
            List.of(5, 3, 3, 3, 1), List.of(1, 2, 3, 4, 1), 128, 192, 8, 128, true);

    @Test
    void smallModelParsesWithSpeechbrainDefaults() throws ModelFormatException {
        EcapaHyperparams p = EcapaHyperparams.read(Npy.conformanceDir().resolve("small/hyperparams.yaml"));
        assertEquals(new EcapaHyperparams(80, 80, List.of(64, 64, 64, 64, 192), List.of(5, 3, 3, 3, 1),
                List.of(1, 2, 3, 4, 1), 16, 32, 8, 128, true), p);
        assertEquals(4, p.blockCount());
        assertEquals(192, p.mfaChannels());
        assertEquals(5, p.minimumFrames());
    }

    @Test
    void fullModelParses() throws ModelFormatException {
        assertEquals(FULL, EcapaHyperparams.read(FULL_COPY));
    }

    /** Skipped only in a clone without ../shared; failed when ../shared lacks the file. */
    @Test
    void sharedFullModelParses() throws ModelFormatException {
        assertEquals(FULL, EcapaHyperparams.read(SharedConformance.require("full/hyperparams.yaml")));
    }

    @Test
    void explicitArgumentsOverrideDefaults() throws IOException, ModelFormatException {
        String yaml = Files.readString(FULL_COPY).replace("lin_neurons: 192",
                "lin_neurons: 192\n    res2net_scale: 4\n    se_channels: 64\n    global_context: False\n"
                        + "    activation: !name:torch.nn.ReLU\n    groups: [1, 1, 1, 1, 1]\n    dropout: 0.0");
        EcapaHyperparams p = EcapaHyperparams.parse(yaml, "hyperparams.yaml");
        assertEquals(4, p.res2netScale());
        assertEquals(64, p.seChannels());
        assertEquals(false, p.globalContext());
    }

    @Test
    void refusesWhatTheConverterCannotReproduce() throws IOException {
        String yaml = Files.readString(FULL_COPY);
        assertRefused(yaml.replace("lin_neurons: 192", "lin_neurons: 192\n    groups: [1, 2, 2, 2, 1]"),
                "embedding_model groups");
        assertRefused(yaml.replace("lin_neurons: 192", "lin_neurons: 192\n    activation: !name:torch.nn.LeakyReLU"),
                "activation");
        assertRefused(yaml.replace("lin_neurons: 192", "lin_neurons: 192\n    use_magic: True"),
                "unknown argument use_magic");
        assertRefused(yaml.replace("input_size: !ref <n_mels>", "input_size: 40"), "input_size 40");
        assertRefused(yaml.replace("kernel_sizes: [5, 3, 3, 3, 1]", "kernel_sizes: [4, 3, 3, 3, 1]"),
                "odd kernel size");
        assertRefused(yaml.replace("dilations: [1, 2, 3, 4, 1]", "dilations: [1, 2, 3, 4]"), "same length");
        assertRefused(yaml.replace("input_size: !ref <n_mels>", "input_size: !ref <n_mel>"), "<n_mel>");
        assertRefused(yaml.replace("norm_type: sentence", "norm_type: global"), "mean_var_norm norm_type");
        assertRefused(yaml.replace("ECAPA_TDNN.ECAPA_TDNN", "ECAPA_TDNN.Xvector"), "embedding_model is not");
        assertRefused("embedding_model: [unclosed", "not valid YAML");
    }

    private static void assertRefused(String yaml, String messagePart) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> EcapaHyperparams.parse(yaml, "hyperparams.yaml"));
        assertTrue(e.getMessage().startsWith("hyperparams.yaml: ") && e.getMessage().contains(messagePart),
                e.getMessage());
    }
}
