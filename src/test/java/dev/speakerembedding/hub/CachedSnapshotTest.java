package dev.speakerembedding.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.files.FileDigests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedSnapshotTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final byte[] WEIGHTS = "weights of an LFS file".getBytes(StandardCharsets.UTF_8);
    private static final byte[] YAML = "sample_rate: 16000\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LABELS = "'id10001' => 0\n".getBytes(StandardCharsets.UTF_8);
    private static final RepoFiles FILES = new RepoFiles(List.of("embedding_model.ckpt", "hyperparams.yaml",
            "label_encoder.txt"), List.of());

    @TempDir
    Path cacheDir;

    /**
     * An LFS file linked to a blob named by its sha256, a small file linked to a blob named by its git hash, and a
     * copy (where symlinks are impossible) of a small file: verification learns each one's size and sha256.
     */
    private RepoRef writeCache() throws Exception {
        RepoRef ref = new RepoRef("org/name", "main");
        Path repo = cacheDir.resolve(ref.folderName());
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT);
        Files.write(blobs.resolve(sha256(WEIGHTS)), WEIGHTS);
        Files.write(blobs.resolve(gitBlobSha1(YAML)), YAML);
        Files.write(blobs.resolve(gitBlobSha1(LABELS)), LABELS);
        Files.createSymbolicLink(snapshot.resolve("embedding_model.ckpt"), Path.of("../../blobs/" + sha256(WEIGHTS)));
        Files.createSymbolicLink(snapshot.resolve("hyperparams.yaml"), Path.of("../../blobs/" + gitBlobSha1(YAML)));
        Files.write(snapshot.resolve("label_encoder.txt"), LABELS);
        return ref;
    }

    @Test
    void verificationLearnsEveryFilesSizeAndSha256InFileOrder() throws Exception {
        RepoRef ref = writeCache();
        HubCache cache = new HubCache(cacheDir);

        CachedSnapshot verified = cache.verify(cache.find(ref, FILES).orElseThrow());

        assertTrue(verified.isVerified());
        assertEquals(List.of(new VerifiedFile("embedding_model.ckpt", WEIGHTS.length, sha256(WEIGHTS)),
                new VerifiedFile("hyperparams.yaml", YAML.length, sha256(YAML)),
                new VerifiedFile("label_encoder.txt", LABELS.length, sha256(LABELS))), verified.verifiedFiles());
    }

    @Test
    void theVerifiedSha256OfEveryFileIsKnownWithoutReadingItAgain() throws Exception {
        RepoRef ref = writeCache();
        HubCache cache = new HubCache(cacheDir);
        CachedSnapshot verified = cache.verify(cache.find(ref, FILES).orElseThrow());

        // Whatever happens on disk afterwards, the snapshot answers with what verification read.
        try (var files = Files.walk(cacheDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.write(file, new byte[] {1, 2, 3});
            }
        }

        assertEquals(sha256(WEIGHTS), verified.verifiedSha256("embedding_model.ckpt").orElseThrow());
        assertEquals(sha256(YAML), verified.verifiedSha256("hyperparams.yaml").orElseThrow(),
                "a blob named by its git hash has a sha256 too");
        assertEquals(sha256(LABELS), verified.verifiedSha256("label_encoder.txt").orElseThrow(),
                "so has a copy");
        assertTrue(verified.verifiedSha256("missing.ckpt").isEmpty());
    }

    @Test
    void aSnapshotFoundButNotVerifiedClaimsNoHash() throws Exception {
        RepoRef ref = writeCache();
        CachedSnapshot found = new HubCache(cacheDir).find(ref, FILES).orElseThrow();

        assertFalse(found.isVerified());
        assertTrue(found.verifiedSha256("embedding_model.ckpt").isEmpty());
        assertThrows(IllegalStateException.class, found::verifiedFiles);
    }

    @Test
    void aVerifiedFileMustBeAFileOfTheSnapshot() {
        Path dir = cacheDir.resolve("snapshot");
        assertThrows(IllegalArgumentException.class, () -> new CachedSnapshot(new RepoRef("org/name", "main"), COMMIT,
                dir, Map.of("a.txt", dir.resolve("a.txt")),
                Map.of("b.txt", new VerifiedFile("b.txt", 1, sha256(YAML)))));
    }

    private static String sha256(byte[] content) throws Exception {
        return FileDigests.hex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static String gitBlobSha1(byte[] content) throws Exception {
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return FileDigests.hex(sha1.digest(content));
    }
}
