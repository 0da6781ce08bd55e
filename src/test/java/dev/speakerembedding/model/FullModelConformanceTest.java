package dev.speakerembedding.model;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The full-size (spkrec-ecapa-voxceleb architecture) random-weight model; needs ../shared, skipped without it. */
class FullModelConformanceTest {

    @TempDir
    Path converted;

    static Path sharedDir() {
        return Path.of(System.getProperty("shared.conformance.dir", "../shared/conformance/speechbrain-ecapa"));
    }

    @Test
    void embeddingsMatchSpeechbrainForEveryInput() throws IOException, ModelFormatException {
        Path shared = sharedDir();
        assumeTrue(Files.isRegularFile(shared.resolve("full/embedding_model.ckpt")),
                "full conformance model not present at " + shared);
        try (EcapaModel model = EcapaModel.load(shared.resolve("full"), converted, ModelRuntimeOptions.defaults())) {
            assertEquals(192, model.embeddingDimension());
            System.out.println("full model converted in " + model.conversion().conversionMillis() + " ms");
            ConformanceCheck.assertAllInputsMatch(model, shared.resolve("expected/full"),
                    SmallModelConformanceTest.MAX_ABS, SmallModelConformanceTest.MIN_COSINE);
        }
    }
}
