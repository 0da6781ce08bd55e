package dev.speakerembedding.model;

import dev.speakerembedding.testing.SharedConformance;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The full-size (spkrec-ecapa-voxceleb architecture) random-weight model from ../shared: skipped only in a clone
 * without ../shared, failed when ../shared lacks a file of it.
 */
class FullModelConformanceTest {

    @TempDir
    Path converted;

    @Test
    void embeddingsMatchSpeechbrainForEveryInput() throws IOException, ModelFormatException {
        Path full = SharedConformance.require("full");
        Path expected = SharedConformance.require("expected/full");
        try (EcapaModel model = EcapaModel.load(full, converted, ModelRuntimeOptions.defaults())) {
            assertEquals(192, model.embeddingDimension());
            System.out.println("full model converted in " + model.conversion().conversionMillis() + " ms");
            ConformanceCheck.assertAllInputsMatch(model, expected, SmallModelConformanceTest.MAX_ABS,
                    SmallModelConformanceTest.MIN_COSINE);
        }
    }
}
