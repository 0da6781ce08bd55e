package dev.speakerembedding.model;

import java.nio.file.Path;

/**
 * Where the ONNX model of a checkpoint lives and how it got there.
 *
 * @param onnxPath          the converted model file
 * @param checkpointSha256  sha256 (hex) of embedding_model.ckpt, which names the cache entry
 * @param converterVersion  {@link EcapaModel#CONVERTER_VERSION} that wrote it
 * @param convertedNow      true when this call wrote the file, false when an existing complete one was reused
 * @param conversionMillis  time spent converting (0 when reused)
 */
public record ConversionInfo(Path onnxPath, String checkpointSha256, int converterVersion, boolean convertedNow,
                             long conversionMillis) {
}
