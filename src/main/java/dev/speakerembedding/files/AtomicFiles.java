package dev.speakerembedding.files;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;

/**
 * Writes that a reader (this process, another one, a crash) never sees half done: the content goes to a temp file on
 * the target's file system, is forced to disk, and is renamed over the target in one atomic step, after which the
 * directory is forced too so the rename survives a power cut. A temp file never outlives a failed write.
 */
public final class AtomicFiles {
    private static final int BUFFER_BYTES = 1 << 16;

    /** Writes a file's content to the stream (which it must not close). */
    @FunctionalInterface
    public interface Content<E extends Exception> {
        void writeTo(OutputStream out) throws IOException, E;
    }

    /**
     * What a write put under the target's name.
     *
     * @param sizeBytes the length written
     * @param sha256    the SHA-256 of what was written, hex, computed while writing
     */
    public record Written(long sizeBytes, String sha256) {
    }

    private AtomicFiles() {
    }

    /** Writes {@code target} through a temp file next to it ({@code {name}{random}.tmp}). */
    public static <E extends Exception> Written write(Path target, Content<E> content) throws IOException, E {
        Path dir = target.toAbsolutePath().getParent();
        return write(target, Files.createTempFile(dir, target.getFileName().toString(), ".tmp"), content);
    }

    /**
     * Writes {@code target} through {@code temp}, a name the caller chose on the target's file system (a place
     * where its own readers do not look, say); {@code temp} is created or truncated, and removed whatever happens.
     */
    public static <E extends Exception> Written write(Path target, Path temp, Content<E> content) throws IOException, E {
        try {
            MessageDigest digest = FileDigests.newDigest("SHA-256");
            long sizeBytes;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                CountingOutputStream out = new CountingOutputStream(new DigestOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES), digest));
                content.writeTo(out);
                out.flush();
                sizeBytes = out.count;
                channel.force(true);
            }
            moveAtomically(temp, target);
            forceDirectory(target.toAbsolutePath().getParent());
            return new Written(sizeBytes, FileDigests.hex(digest.digest()));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Puts {@code complete}, a file already written in full (a download), under the name {@code target}: forced to
     * disk, renamed atomically over whatever is there, directory forced. On failure {@code complete} stays where it
     * is, for the caller to resume or delete.
     */
    public static void install(Path complete, Path target) throws IOException {
        force(complete);
        moveAtomically(complete, target);
        forceDirectory(target.toAbsolutePath().getParent());
    }

    /** Forces {@code file}'s content to disk. */
    public static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Renames {@code source} over {@code target} in one step, or fails: never a copy that a reader could see half done. */
    public static void moveAtomically(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target + " cannot rename " + source + " over it atomically",
                    e);
        }
    }

    /**
     * Makes a rename in {@code dir} durable. Some platforms (Windows, some network file systems) cannot open a
     * directory; there the rename is atomic but its durability is the file system's.
     */
    public static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Nothing better is possible there, and the data itself was forced before the rename.
        }
    }

    private static final class CountingOutputStream extends FilterOutputStream {
        private long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
