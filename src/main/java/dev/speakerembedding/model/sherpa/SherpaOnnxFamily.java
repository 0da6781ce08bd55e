package dev.speakerembedding.model.sherpa;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.ModelFormat;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.SpeakerModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One ONNX file of a repository, run as sherpa-onnx runs it: fetched and verified like any blob, no conversion.
 * Which of WeSpeaker, 3D-Speaker or NeMo it is comes from its metadata, or {@code MODEL_FAMILY} for a file without.
 *
 * @param modelFile        the file's path in the repository ({@code MODEL_FILE} or the only .onnx there)
 * @param configuredFamily {@code MODEL_FAMILY}, or null
 */
public record SherpaOnnxFamily(String modelFile, SherpaFamily configuredFamily) implements ModelFamily {

    /** The format name /v1/model reports before the family is known from the file. */
    public static final String FORMAT_NAME = "sherpa-onnx";

    public SherpaOnnxFamily {
        Objects.requireNonNull(modelFile, "modelFile");
    }

    @Override
    public ModelFormat format() {
        return new ModelFormat(FORMAT_NAME, List.of(modelFile), List.of());
    }

    @Override
    public SpeakerModel load(Path snapshotDir, List<SourceFile> sourceFiles, ModelLoadSettings settings)
            throws ModelFormatException {
        if (settings.precision() != ModelPrecision.FLOAT32) {
            // Quantising is part of converting a checkpoint; a published ONNX file is served exactly as published.
            throw new ModelFormatException("MODEL_PRECISION=" + settings.precision().configValue()
                    + " applies to converted speechbrain checkpoints only; " + modelFile
                    + " is an ONNX file served as published: set MODEL_PRECISION=float32 (or leave it unset)");
        }
        Path onnx = snapshotDir.resolve(modelFile);
        SourceFile file = sourceFiles.stream().filter(f -> f.name().equals(modelFile)).findFirst().orElse(null);
        if (file == null) {
            try {
                file = new SourceFile(modelFile, Files.size(onnx), FileDigests.sha256(onnx));
            } catch (IOException e) {
                throw new ModelFormatException(modelFile + ": cannot read " + onnx + " (" + e + ")", e);
            }
        }
        return SherpaModel.load(onnx, file, configuredFamily, settings.runtime());
    }
}
