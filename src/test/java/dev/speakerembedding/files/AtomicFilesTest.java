package dev.speakerembedding.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteReplacesTheTargetAndReportsWhatItWrote() throws Exception {
        Path target = Files.writeString(dir.resolve("model.onnx"), "old");

        AtomicFiles.Written written = AtomicFiles.write(target,
                out -> out.write("abc".getBytes(StandardCharsets.US_ASCII)));

        assertEquals("abc", Files.readString(target));
        assertEquals(new AtomicFiles.Written(3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                written);
        assertEquals(List.of("model.onnx"), names(), "no temp file left");
    }

    @Test
    void aFailedWriteLeavesTheOldTargetAndNoTempFile() throws Exception {
        Path target = Files.writeString(dir.resolve("model.onnx"), "old");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("the converter failed half-way");
        }));

        assertEquals("the converter failed half-way", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("model.onnx"), names());
    }

    @Test
    void aCallerChosenTempNameIsUsedAndRemoved() throws Exception {
        Path target = dir.resolve("refs").resolve("main");
        Files.createDirectories(target.getParent());
        Path temp = dir.resolve(".tmp-1-abc");

        AtomicFiles.write(target, temp, out -> out.write("0123".getBytes(StandardCharsets.US_ASCII)));

        assertEquals("0123", Files.readString(target));
        assertFalse(Files.exists(temp));
    }

    @Test
    void installMovesACompleteFileOverTheTargetAndKeepsItOnFailure() throws Exception {
        byte[] content = {1, 2, 3, 4};
        Path download = Files.write(dir.resolve("blob.incomplete"), content);
        Path blob = dir.resolve("blob");

        AtomicFiles.install(download, blob);

        assertArrayEquals(content, Files.readAllBytes(blob));
        assertFalse(Files.exists(download));

        Path another = Files.write(dir.resolve("another.incomplete"), content);
        assertThrows(IOException.class, () -> AtomicFiles.install(another, dir.resolve("missing-dir/blob")));
        assertArrayEquals(content, Files.readAllBytes(another), "kept for the caller to resume or delete");
    }
}
