package dev.speakerembedding.model;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small random-weight model against speechbrain 1.0.2's own outputs, for every conformance input. */
class SmallModelConformanceTest {

    static final double MAX_ABS = 5e-5;
    static final double MIN_COSINE = 0.99999;

    @TempDir
    static Path converted;
    static EcapaModel model;

    @BeforeAll
    static void load() throws ModelFormatException {
        model = EcapaModel.load(Npy.conformanceDir().resolve("small"), converted, ModelRuntimeOptions.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void embeddingsMatchSpeechbrainForEveryInput() throws IOException {
        Path expected = Npy.conformanceDir().resolve("expected/small");
        ConformanceCheck.assertAllInputsMatch(model, expected, MAX_ABS, MIN_COSINE);
    }

    /**
     * The service opens one session per thread count and picks one per run by the load, so every variant it may open
     * on any machine must give speechbrain's numbers, not just the widest.
     */
    @Test
    void everyThreadCountTheServiceMayPickMatchesSpeechbrain(@TempDir Path dir) throws Exception {
        Path expected = Npy.conformanceDir().resolve("expected/small");
        for (int threads : ModelRuntimeOptions.forService(8, 8).threadVariants()) {
            try (EcapaModel variant = EcapaModel.load(Npy.conformanceDir().resolve("small"), dir,
                    ModelRuntimeOptions.defaults().withIntraOpThreads(threads))) {
                ConformanceCheck.assertAllInputsMatch(variant, expected, MAX_ABS, MIN_COSINE);
            }
        }
    }

    @Test
    void reportsArchitecture() {
        assertEquals(32, model.embeddingDimension());
        assertEquals(80, model.melCount());
        assertEquals(5, model.minimumFrames());
        assertTrue(model.conversion().convertedNow());
        assertFalse(model.onnxRuntimeVersion().isEmpty());
    }
}
