package dev.speakerembedding.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A test needing ../shared skips only where ../shared is absent; present but incomplete, it fails. */
class SharedConformanceTest {

    private static final String MANIFEST = """
            {"files": {
              "full/hyperparams.yaml": {"bytes": 5},
              "full/embedding_model.ckpt": {"bytes": 10},
              "expected/full/a.npy": {"bytes": 3}
            }}""";

    @TempDir
    Path tmp;

    private Path shared() {
        return tmp.resolve("shared");
    }

    private Path pkg() {
        return shared().resolve("conformance/speechbrain-ecapa");
    }

    private void write(String relative, int bytes) throws IOException {
        Path file = pkg().resolve(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[bytes]);
    }

    private void completePackage() throws IOException {
        Files.createDirectories(pkg());
        Files.writeString(pkg().resolve("MANIFEST.json"), MANIFEST, StandardCharsets.UTF_8);
        write("full/hyperparams.yaml", 5);
        write("full/embedding_model.ckpt", 10);
        write("expected/full/a.npy", 3);
    }

    @Test
    void withoutSharedTheTestIsSkipped() {
        TestAbortedException e = assertThrows(TestAbortedException.class,
                () -> SharedConformance.require(shared(), pkg(), "full"));
        assertTrue(e.getMessage().contains(shared().toString()), e.getMessage());
    }

    @Test
    void sharedWithoutThePackageFails() throws IOException {
        Files.createDirectories(shared());
        AssertionError e = assertThrows(AssertionError.class, () -> SharedConformance.require(shared(), pkg(), "full"));
        assertTrue(e.getMessage().contains("is present but the conformance package"), e.getMessage());
    }

    @Test
    void aMissingFileFails() throws IOException {
        completePackage();
        Files.delete(pkg().resolve("full/embedding_model.ckpt"));
        AssertionError e = assertThrows(AssertionError.class, () -> SharedConformance.require(shared(), pkg(), "full"));
        assertTrue(e.getMessage().contains("full/embedding_model.ckpt is missing"), e.getMessage());
    }

    @Test
    void aTruncatedFileFails() throws IOException {
        completePackage();
        write("full/embedding_model.ckpt", 7);
        AssertionError e = assertThrows(AssertionError.class,
                () -> SharedConformance.require(shared(), pkg(), "full/embedding_model.ckpt"));
        assertTrue(e.getMessage().contains("full/embedding_model.ckpt has 7 bytes, the manifest lists 10"),
                e.getMessage());
    }

    @Test
    void aNameTheManifestDoesNotListFails() throws IOException {
        completePackage();
        assertThrows(AssertionError.class, () -> SharedConformance.require(shared(), pkg(), "ful"));
        assertThrows(AssertionError.class, () -> SharedConformance.require(shared(), pkg(), "small"));
    }

    @Test
    void aCompletePackageGivesThePath() throws IOException {
        completePackage();
        assertEquals(pkg().resolve("full"), SharedConformance.require(shared(), pkg(), "full"));
        assertEquals(pkg().resolve("expected/full"), SharedConformance.require(shared(), pkg(), "expected/full"));
    }
}
