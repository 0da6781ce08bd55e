package dev.speakerembedding.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedSnapshotTest {

    private static final String SHA = "655754b9fd563c0bf8559d3ccca45b2926a2abfa10076469bc922976c214f9ec";

    @TempDir
    Path tmp;

    @Test
    void theCheckpointsVerifiedHashIsItsBlobsNameOnlyWhenLinkedToASha256Blob() throws Exception {
        Path blobs = Files.createDirectories(tmp.resolve("blobs"));
        Path snapshot = Files.createDirectories(tmp.resolve("snapshots/abc"));
        Files.writeString(blobs.resolve(SHA), "weights");
        Files.writeString(blobs.resolve("d489e0af3b0e5ae8c6b4e8b8e2a2c5b7f1e1d9a0"), "yaml");
        Files.createSymbolicLink(snapshot.resolve("embedding_model.ckpt"), Path.of("../../blobs/" + SHA));
        Files.createSymbolicLink(snapshot.resolve("hyperparams.yaml"),
                Path.of("../../blobs/d489e0af3b0e5ae8c6b4e8b8e2a2c5b7f1e1d9a0"));
        Files.writeString(snapshot.resolve("copied.ckpt"), "a copy where links are not possible");
        CachedSnapshot s = new CachedSnapshot(new RepoRef("org/name", "main"), "abc", snapshot, Map.of(
                "embedding_model.ckpt", snapshot.resolve("embedding_model.ckpt"),
                "hyperparams.yaml", snapshot.resolve("hyperparams.yaml"),
                "copied.ckpt", snapshot.resolve("copied.ckpt")));
        assertEquals(SHA, s.verifiedSha256("embedding_model.ckpt").orElseThrow());
        assertTrue(s.verifiedSha256("hyperparams.yaml").isEmpty(), "a git blob hash is not a sha256");
        assertTrue(s.verifiedSha256("copied.ckpt").isEmpty(), "a copy's name says nothing: hash it");
        assertTrue(s.verifiedSha256("missing.ckpt").isEmpty());
    }
}
