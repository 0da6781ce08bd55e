package dev.speakerembedding.hub;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's files in the cache at one commit.
 *
 * @param snapshotDir {@code {cacheDir}/models--org--name/snapshots/{commit}}
 * @param files file name in the repository to its path in the snapshot dir (a symlink into blobs/), in the order
 *     of the {@link RepoFiles} asked for
 * @param verified file name to what verification read, for the files verified: every file of a snapshot that
 *     {@link ModelFetcher#ensure} or {@link HubCache#verify} returns, none of one that {@link HubCache#find} returns
 */
public record CachedSnapshot(RepoRef ref, String commit, Path snapshotDir, Map<String, Path> files,
                             Map<String, VerifiedFile> verified) {
    public CachedSnapshot {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(snapshotDir, "snapshotDir");
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        verified = Collections.unmodifiableMap(new LinkedHashMap<>(verified));
        for (Map.Entry<String, VerifiedFile> entry : verified.entrySet()) {
            if (!files.containsKey(entry.getKey()) || !entry.getKey().equals(entry.getValue().name())) {
                throw new IllegalArgumentException("verified file " + entry.getKey() + " is not a file of the snapshot"
                        + " of " + ref + " under its own name");
            }
        }
    }

    /** A snapshot whose files were found but not yet read. */
    public CachedSnapshot(RepoRef ref, String commit, Path snapshotDir, Map<String, Path> files) {
        this(ref, commit, snapshotDir, files, Map.of());
    }

    /** The snapshot path of {@code fileName}. */
    public Path file(String fileName) {
        Path path = files.get(fileName);
        if (path == null) {
            throw new IllegalArgumentException(fileName + " is not part of the cached snapshot of " + ref);
        }
        return path;
    }

    /** Whether every file was verified. */
    public boolean isVerified() {
        return verified.keySet().equals(files.keySet());
    }

    /**
     * Every file with the size and sha256 verification read, in file order: known without touching the disk again.
     *
     * @throws IllegalStateException when the snapshot was not verified
     */
    public List<VerifiedFile> verifiedFiles() {
        if (!isVerified()) {
            throw new IllegalStateException("the cached snapshot of " + ref + " at " + commit + " was not verified");
        }
        List<VerifiedFile> inOrder = new ArrayList<>();
        for (String name : files.keySet()) {
            inOrder.add(verified.get(name));
        }
        return List.copyOf(inOrder);
    }

    /**
     * The sha256 of {@code fileName} as verification computed it, while checking the blob against the hash it is
     * named by; empty when the file is not part of the snapshot or the snapshot was not verified. Reads nothing.
     */
    public Optional<String> verifiedSha256(String fileName) {
        return Optional.ofNullable(verified.get(fileName)).map(VerifiedFile::sha256);
    }

    /** This snapshot with what verification read of its files. */
    CachedSnapshot withVerified(List<VerifiedFile> files) {
        Map<String, VerifiedFile> byName = new LinkedHashMap<>();
        for (String name : this.files.keySet()) {
            files.stream().filter(f -> f.name().equals(name)).findFirst().ifPresent(f -> byName.put(name, f));
        }
        return new CachedSnapshot(ref, commit, snapshotDir, this.files, byName);
    }
}
