package dev.speakerembedding.api;

import dev.speakerembedding.model.SourceFile;
import java.util.List;

/** The model's files for GET /v1/model: the sizes and sha256 verified when the model was loaded, not read again. */
final class ModelFiles {

    private ModelFiles() {
    }

    static List<ModelInfo.ModelFile> describe(List<SourceFile> files) {
        return files.stream().map(file -> new ModelInfo.ModelFile(file.name(), file.sizeBytes(), file.sha256()))
                .toList();
    }
}
