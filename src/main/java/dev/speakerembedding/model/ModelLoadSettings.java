package dev.speakerembedding.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a family needs besides the files to load a model.
 *
 * @param convertedModelDir where converted graphs are cached (families that convert a checkpoint)
 * @param runtime           how the ONNX Runtime session runs
 */
public record ModelLoadSettings(Path convertedModelDir, ModelRuntimeOptions runtime) {
    public ModelLoadSettings {
        Objects.requireNonNull(convertedModelDir, "convertedModelDir");
        Objects.requireNonNull(runtime, "runtime");
    }
}
