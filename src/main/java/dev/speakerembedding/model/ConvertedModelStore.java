package dev.speakerembedding.model;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The cache directory of converted models: one entry directory per checkpoint and converter version holding
 * {@value #MODEL_FILE} and, written only after the model is durably in place, the sidecar
 * {@value #SIDECAR_FILE} with the model's sha256 and size. An entry is reused only when the sidecar exists,
 * describes the same architecture, and the model file still has that size and hash; anything else (a crash
 * mid-write, a truncated copy, a flipped byte) is converted again.
 */
final class ConvertedModelStore {

    static final String MODEL_FILE = "model.onnx";
    static final String SIDECAR_FILE = "model.onnx.complete";
    private static final String LOCK_FILE = ".lock";
    /** Converting the full model takes seconds; waiting this long means another process is stuck. */
    private static final long LOCK_TIMEOUT_MILLIS = 10 * 60 * 1000;
    private static final long LOCK_POLL_MILLIS = 100;
    private static final int HASH_BUFFER_BYTES = 1 << 20;

    /** FileChannel locks are per process, so threads of this JVM queue on a lock of their own first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    /** Writes a file's content to the stream (which it must not close). */
    interface Content {
        void write(OutputStream out) throws IOException, ModelFormatException;
    }

    /** The entry's model file, and whether this call wrote it. */
    record Entry(Path modelFile, boolean convertedNow, long conversionMillis) {
    }

    private ConvertedModelStore() {
    }

    /**
     * Returns the complete model in {@code entryDir}, writing it from {@code model} first when there is none.
     * {@code description} (architecture and converter version) must match the sidecar for reuse.
     */
    static Entry obtain(Path entryDir, String description, Content model) throws ModelFormatException {
        Path modelFile = entryDir.resolve(MODEL_FILE);
        Path sidecar = entryDir.resolve(SIDECAR_FILE);
        try {
            // Files are only ever replaced by atomic renames, so a complete entry can be used without the lock;
            // that also serves converted models on a read-only volume.
            if (isComplete(modelFile, sidecar, description)) {
                return new Entry(modelFile, false, 0);
            }
        } catch (IOException e) {
            // Decided again below, under the lock.
        }
        try {
            Files.createDirectories(entryDir);
        } catch (IOException e) {
            throw new ModelFormatException("cannot create converted model directory " + entryDir + " (" + e + ")", e);
        }
        ReentrantLock local = LOCKS.computeIfAbsent(entryDir.toAbsolutePath().normalize(), p -> new ReentrantLock());
        local.lock();
        try (FileChannel lockChannel = FileChannel.open(entryDir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock ignored = acquire(lockChannel, entryDir)) {
            if (isComplete(modelFile, sidecar, description)) {
                return new Entry(modelFile, false, 0);
            }
            long started = System.nanoTime();
            Files.deleteIfExists(sidecar);
            Written written = writeAtomically(modelFile, model);
            Properties properties = new Properties();
            properties.setProperty("description", description);
            properties.setProperty("sha256", written.sha256());
            properties.setProperty("bytes", Long.toString(written.bytes()));
            writeAtomically(sidecar, out -> out.write(toBytes(properties)));
            return new Entry(modelFile, true, (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            throw new ModelFormatException("cannot write converted model in " + entryDir + " (" + e + ")", e);
        } finally {
            local.unlock();
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = newSha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[HASH_BUFFER_BYTES];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static boolean isComplete(Path model, Path sidecar, String description) throws IOException {
        if (!Files.isRegularFile(sidecar) || !Files.isRegularFile(model)) {
            return false;
        }
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(Files.readString(sidecar, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException | IOException e) {
            return false;
        }
        String bytes = properties.getProperty("bytes", "");
        return description.equals(properties.getProperty("description"))
                && bytes.equals(Long.toString(Files.size(model)))
                && sha256(model).equals(properties.getProperty("sha256"));
    }

    private record Written(String sha256, long bytes) {
    }

    /** Temp file next to the target, fsync, atomic rename, fsync of the directory; the temp file never stays. */
    private static Written writeAtomically(Path target, Content content) throws IOException, ModelFormatException {
        Path dir = target.getParent();
        Path temp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        try {
            MessageDigest digest = newSha256();
            long bytes;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                CountingOutputStream counting = new CountingOutputStream(new DigestOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), digest));
                content.write(counting);
                counting.flush();
                bytes = counting.count;
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system of " + dir + " cannot rename atomically", e);
            }
            forceDirectory(dir);
            return new Written(HexFormat.of().formatHex(digest.digest()), bytes);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes the rename durable; some file systems cannot open directories, where the rename is all we have. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Windows and some network file systems refuse to open directories; the data itself is synced.
        }
    }

    private static FileLock acquire(FileChannel channel, Path entryDir) throws IOException {
        long deadline = System.currentTimeMillis() + LOCK_TIMEOUT_MILLIS;
        while (true) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("another process has held " + entryDir.resolve(LOCK_FILE) + " for more than "
                        + LOCK_TIMEOUT_MILLIS / 1000 + " s");
            }
            try {
                Thread.sleep(LOCK_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + entryDir.resolve(LOCK_FILE), e);
            }
        }
    }

    private static byte[] toBytes(Properties properties) throws IOException {
        StringWriter text = new StringWriter();
        properties.store(text, "written after " + MODEL_FILE + " was complete");
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
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
