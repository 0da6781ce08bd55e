package dev.speakerembedding.model;

import java.nio.file.Path;

/**
 * Where the ONNX model of a checkpoint lives and how it got there.
 *
 * @param onnxPath          the converted model file
 * @param onnxSizeBytes     its length
 * @param checkpointSha256  sha256 (hex) of the checkpoint converted, which names the cache entry
 * @param converterVersion  the version of the converter that wrote it
 * @param convertedNow      true when this call wrote the file, false when an existing complete one was reused
 * @param conversionMillis  time spent converting (0 when reused)
 */
public record ConversionInfo(Path onnxPath, long onnxSizeBytes, String checkpointSha256, int converterVersion, boolean convertedNow,
                             long conversionMillis) {
}
