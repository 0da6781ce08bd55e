package dev.speakerembedding.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a family needs besides the files to load a model.
 *
 * @param convertedModelDir where converted graphs are cached (families that convert a checkpoint)
 * @param runtime           how the ONNX Runtime session runs
 * @param precision         the precision a converted checkpoint runs in (MODEL_PRECISION); families that serve an
 *                          ONNX file as published accept only {@link ModelPrecision#FLOAT32}
 */
public record ModelLoadSettings(Path convertedModelDir, ModelRuntimeOptions runtime, ModelPrecision precision) {
    public ModelLoadSettings {
        Objects.requireNonNull(convertedModelDir, "convertedModelDir");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(precision, "precision");
    }

    /** Settings for the float32 graph. */
    public ModelLoadSettings(Path convertedModelDir, ModelRuntimeOptions runtime) {
        this(convertedModelDir, runtime, ModelPrecision.FLOAT32);
    }
}
