package dev.speakerembedding.hub;

import java.util.Objects;

/**
 * A snapshot file as verification read it: the bytes were checked against the hash the Hub names them by, and their
 * sha256 and size were learnt in the same pass.
 *
 * @param name      the file's path in the repository
 * @param sizeBytes its length
 * @param sha256    SHA-256 of its content, lower-case hex
 */
public record VerifiedFile(String name, long sizeBytes, String sha256) {
    public VerifiedFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("negative size " + sizeBytes + " of " + name);
        }
        if (!Names.isSha256(sha256)) {
            throw new IllegalArgumentException("not a sha256 for " + name + ": " + Names.printable(sha256));
        }
        sha256 = sha256.toLowerCase(java.util.Locale.ROOT);
    }
}
