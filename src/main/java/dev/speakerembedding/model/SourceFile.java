package dev.speakerembedding.model;

import java.util.Objects;

/**
 * A repository file a model was loaded from, with the size and sha256 known when it was loaded (the model cache
 * verifies every file as it hands the files over), so that describing the model reads no file.
 *
 * @param name      the file's path in the repository
 * @param sizeBytes its length
 * @param sha256    SHA-256 of its content, hex
 */
public record SourceFile(String name, long sizeBytes, String sha256) {
    public SourceFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("negative size " + sizeBytes + " of " + name);
        }
    }
}
