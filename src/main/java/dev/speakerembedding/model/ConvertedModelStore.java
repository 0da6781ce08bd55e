package dev.speakerembedding.model;

import dev.speakerembedding.files.AtomicFiles;
import dev.speakerembedding.files.FileDigests;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
public final class ConvertedModelStore {

    public static final String MODEL_FILE = "model.onnx";
    public static final String SIDECAR_FILE = "model.onnx.complete";
    private static final String LOCK_FILE = ".lock";
    /** Converting the full model takes seconds; waiting this long means another process is stuck. */
    private static final long LOCK_TIMEOUT_MILLIS = 10 * 60 * 1000;
    private static final long LOCK_POLL_MILLIS = 100;

    /** FileChannel locks are per process, so threads of this JVM queue on a lock of their own first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    /** Writes the model's content to the stream (which it must not close). */
    public interface Content extends AtomicFiles.Content<ModelFormatException> {
    }

    /** The entry's model file, its length, and whether this call wrote it. */
    public record Entry(Path modelFile, long sizeBytes, boolean convertedNow, long conversionMillis) {
    }

    private ConvertedModelStore() {
    }

    /**
     * Returns the complete model in {@code entryDir}, writing it from {@code model} first when there is none.
     * {@code description} (architecture and converter version) must match the sidecar for reuse.
     */
    public static Entry obtain(Path entryDir, String description, Content model) throws ModelFormatException {
        Path modelFile = entryDir.resolve(MODEL_FILE);
        Path sidecar = entryDir.resolve(SIDECAR_FILE);
        try {
            // Files are only ever replaced by atomic renames, so a complete entry can be used without the lock;
            // that also serves converted models on a read-only volume.
            long sizeBytes = completeSize(modelFile, sidecar, description);
            if (sizeBytes >= 0) {
                return new Entry(modelFile, sizeBytes, false, 0);
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
            long sizeBytes = completeSize(modelFile, sidecar, description);
            if (sizeBytes >= 0) {
                return new Entry(modelFile, sizeBytes, false, 0);
            }
            long started = System.nanoTime();
            Files.deleteIfExists(sidecar);
            AtomicFiles.Written written = AtomicFiles.write(modelFile, model);
            Properties properties = new Properties();
            properties.setProperty("description", description);
            properties.setProperty("sha256", written.sha256());
            properties.setProperty("bytes", Long.toString(written.sizeBytes()));
            byte[] sidecarBytes = toBytes(properties);
            AtomicFiles.write(sidecar, out -> out.write(sidecarBytes));
            return new Entry(modelFile, written.sizeBytes(), true, (System.nanoTime() - started) / 1_000_000);
        } catch (IOException e) {
            throw new ModelFormatException("cannot write converted model in " + entryDir + " (" + e + ")", e);
        } finally {
            local.unlock();
        }
    }

    /** The model file's length when the entry is complete and describes {@code description}; -1 otherwise. */
    private static long completeSize(Path model, Path sidecar, String description) throws IOException {
        if (!Files.isRegularFile(sidecar) || !Files.isRegularFile(model)) {
            return -1;
        }
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(Files.readString(sidecar, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException | IOException e) {
            return -1;
        }
        long sizeBytes = Files.size(model);
        boolean complete = description.equals(properties.getProperty("description"))
                && properties.getProperty("bytes", "").equals(Long.toString(sizeBytes))
                && FileDigests.sha256(model).equals(properties.getProperty("sha256"));
        return complete ? sizeBytes : -1;
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
}
