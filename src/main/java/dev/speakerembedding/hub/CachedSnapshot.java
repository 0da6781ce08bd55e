package dev.speakerembedding.hub;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's files in the cache at one commit.
 *
 * @param snapshotDir {@code {cacheDir}/models--org--name/snapshots/{commit}}
 * @param files file name in the repository to its path in the snapshot dir (a symlink into blobs/),
 *     in the model format's order
 */
public record CachedSnapshot(RepoRef ref, String commit, Path snapshotDir, Map<String, Path> files) {
    public CachedSnapshot {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(snapshotDir, "snapshotDir");
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** The snapshot path of {@code fileName}. */
    public Path file(String fileName) {
        Path path = files.get(fileName);
        if (path == null) {
            throw new IllegalArgumentException(fileName + " is not part of the cached snapshot of " + ref);
        }
        return path;
    }

    /**
     * The sha256 of {@code fileName} when its blob is named by it (an LFS file): the fetcher verified every blob
     * against its name before handing the snapshot over, so the name can stand for the content's hash. Empty for a
     * copied file (no link to follow) or a blob named by a git hash.
     */
    public Optional<String> verifiedSha256(String fileName) {
        Path path = files.get(fileName);
        if (path == null) {
            return Optional.empty();
        }
        try {
            String blobName = path.toRealPath().getFileName().toString();
            return Names.isSha256(blobName) ? Optional.of(blobName) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
