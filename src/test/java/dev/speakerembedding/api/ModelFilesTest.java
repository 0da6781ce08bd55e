package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.model.SourceFile;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelFilesTest {

    @Test
    void theDescriptionIsTheModelsVerifiedFilesInTheirOrder() {
        List<SourceFile> files = List.of(new SourceFile("hyperparams.yaml", 1_921, "ab".repeat(32)),
                new SourceFile("embedding_model.ckpt", 83_316_686, "cd".repeat(32)));

        assertEquals(List.of(new ModelInfo.ModelFile("hyperparams.yaml", 1_921, "ab".repeat(32)),
                        new ModelInfo.ModelFile("embedding_model.ckpt", 83_316_686, "cd".repeat(32))),
                ModelFiles.describe(files));
    }
}
