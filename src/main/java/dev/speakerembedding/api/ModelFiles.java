package dev.speakerembedding.api;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.ModelFormat;
import dev.speakerembedding.hub.RepoRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Sizes and sha256 of a cached snapshot's files, for GET /v1/model. */
final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * The files of {@code repoId} at {@code commit} as the cache holds them.
     *
     * @throws IOException when the snapshot is gone or unreadable (someone cleaned the cache under a running
     *                     server); the loaded model itself is unaffected
     */
    static List<ModelInfo.ModelFile> describe(Path cacheDir, String repoId, String commit, ModelFormat format)
            throws IOException {
        CachedSnapshot snapshot = new HubCache(cacheDir).find(new RepoRef(repoId, commit), format)
                .orElseThrow(() -> new IOException("the snapshot of " + repoId + "@" + commit
                        + " is no longer complete in " + cacheDir));
        List<ModelInfo.ModelFile> files = new ArrayList<>();
        for (Map.Entry<String, Path> file : snapshot.files().entrySet()) {
            files.add(new ModelInfo.ModelFile(file.getKey(), Files.size(file.getValue()), sha256(file.getValue())));
        }
        return List.copyOf(files);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
