package dev.speakerembedding.hub;

import dev.speakerembedding.files.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The model cache on disk, in huggingface_hub's layout so that either program reads what the other wrote:
 *
 * <pre>
 * {cacheDir}/models--{org}--{name}/blobs/{etag}
 * {cacheDir}/models--{org}--{name}/snapshots/{commit}/{filename} -> ../../blobs/{etag}   (relative symlink)
 * {cacheDir}/models--{org}--{name}/refs/{revision}                (holds the commit hash)
 * {cacheDir}/.locks/models--{org}--{name}/{etag}.lock
 * </pre>
 *
 * <p>Every write is a temp file and an atomic rename, so a reader (this process, another one, or
 * huggingface_hub) never sees a partial file under a final name. Locks only avoid duplicate downloads;
 * correctness does not depend on them.
 */
public final class HubCache {
    private static final Logger LOG = Logger.getLogger(HubCache.class.getName());

    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofMinutes(10);
    private static final Duration LOCK_POLL = Duration.ofMillis(50);
    // Our temp files are rewritten continuously while a download is alive; one untouched this long is a leftover.
    private static final Duration STALE_TEMP_AGE = Duration.ofHours(1);
    private static final Pattern OWN_TEMP_SUFFIX = Pattern.compile("\\.\\d+-[0-9a-f]+\\.incomplete");
    private static final long PID = ProcessHandle.current().pid();
    private static final ConcurrentHashMap<Path, ReentrantLock> THREAD_LOCKS = new ConcurrentHashMap<>();

    private final Path cacheDir;
    private final Duration lockWait;

    public HubCache(Path cacheDir) {
        this(cacheDir, DEFAULT_LOCK_WAIT);
    }

    /**
     * @param lockWait how long to wait for another downloader's per-blob lock before proceeding anyway
     */
    public HubCache(Path cacheDir, Duration lockWait) {
        this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir").toAbsolutePath().normalize();
        this.lockWait = Objects.requireNonNull(lockWait, "lockWait");
    }

    public Path cacheDir() {
        return cacheDir;
    }

    /** {@code {cacheDir}/models--org--name}. */
    public Path repoDir(String repoId) throws UnsafeNameException {
        Names.validateRepoId(repoId);
        return Names.inside(cacheDir, "models--" + repoId.replace("/", "--"), "repo id");
    }

    public Path repoDir(RepoRef ref) {
        return cacheDir.resolve(ref.folderName());
    }

    /**
     * The commit a revision stands for in the cache: the content of {@code refs/{revision}}, or the revision
     * itself when it is a commit hash whose snapshot dir exists (huggingface_hub writes no ref for those).
     */
    public Optional<String> resolveCommit(RepoRef ref) {
        Path repoDir = repoDir(ref);
        if (Names.isCommitRevision(ref.revision())) {
            return Files.isDirectory(repoDir.resolve("snapshots").resolve(ref.revision()))
                    ? Optional.of(ref.revision()) : Optional.empty();
        }
        Path refFile;
        try {
            refFile = Names.inside(repoDir.resolve("refs"), ref.revision(), "revision");
        } catch (UnsafeNameException e) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(refFile)) {
            return Optional.empty();
        }
        try {
            String commit = Files.readString(refFile, StandardCharsets.UTF_8).strip();
            Names.validateCommit(commit);
            return Optional.of(commit);
        } catch (IOException | UnsafeNameException e) {
            LOG.log(Level.WARNING, "Ignoring unreadable ref file {0}: {1}", new Object[] {refFile, e.getMessage()});
            return Optional.empty();
        }
    }

    /** The snapshot of {@code ref} when every required file is present; optional files are included when present. Reads no content. */
    public Optional<CachedSnapshot> find(RepoRef ref, RepoFiles repoFiles) {
        return resolveCommit(ref).flatMap(commit -> snapshotAt(ref, commit, repoFiles));
    }

    /**
     * The files present in the cached snapshot {@code ref} resolves to (huggingface_hub's layout:
     * {@code snapshots/{commit}/...}), as the Hub would list them; empty when no snapshot is cached for it. A link whose
     * blob is gone does not count. Reads no content.
     */
    public Optional<RepoListing> cachedListing(RepoRef ref) {
        Optional<String> commit = resolveCommit(ref);
        if (commit.isEmpty()) {
            return Optional.empty();
        }
        Path snapshotDir;
        try {
            snapshotDir = snapshotDir(ref, commit.get());
        } catch (UnsafeNameException e) {
            return Optional.empty();
        }
        if (!Files.isDirectory(snapshotDir)) {
            return Optional.empty();
        }
        List<String> files = new ArrayList<>();
        try (java.util.stream.Stream<Path> paths = Files.walk(snapshotDir)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                String name = snapshotDir.relativize(path).toString().replace('\\', '/');
                if (!name.isEmpty() && Files.isRegularFile(path)) {
                    try {
                        Names.validateFilename(name);
                        files.add(name);
                    } catch (UnsafeNameException e) {
                        LOG.log(Level.FINE, "Ignoring {0} in {1}: {2}", new Object[] {name, snapshotDir, e.getMessage()});
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(Level.WARNING, "Cannot list the cached snapshot {0}: {1}", new Object[] {snapshotDir, e.getMessage()});
            return Optional.empty();
        }
        return Optional.of(new RepoListing(ref, commit.get(), files));
    }

    /** Fast check for a health endpoint: the required files are present (not hashed). */
    public boolean isComplete(RepoRef ref, RepoFiles repoFiles) {
        return find(ref, repoFiles).isPresent();
    }

    /**
     * Checks every file of the snapshot against the hash its blob is named by.
     *
     * @return {@code snapshot} with every file's size and sha256 as read while checking it
     * @throws CorruptCacheException naming the first broken file, its expected and its actual hash
     */
    public CachedSnapshot verify(CachedSnapshot snapshot) throws CorruptCacheException {
        Inspection inspection = inspect(snapshot);
        if (!inspection.problems().isEmpty()) {
            CorruptCacheException first = inspection.problems().get(0);
            inspection.problems().stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
        return snapshot.withVerified(inspection.intact());
    }

    Optional<CachedSnapshot> snapshotAt(RepoRef ref, String commit, RepoFiles repoFiles) {
        Map<String, Path> files = new LinkedHashMap<>();
        Path snapshotDir;
        try {
            snapshotDir = snapshotDir(ref, commit);
            for (String file : repoFiles.all()) {
                Path path = Names.inside(snapshotDir, file, "file name");
                // follows the symlink: a link whose blob is gone does not count as present
                if (Files.isRegularFile(path)) {
                    files.put(file, path);
                } else if (repoFiles.required().contains(file)) {
                    return Optional.empty();
                }
            }
        } catch (UnsafeNameException e) {
            return Optional.empty();
        }
        return Optional.of(new CachedSnapshot(ref, commit, snapshotDir, files));
    }

    /**
     * What reading every file of a snapshot found, in file order.
     *
     * @param intact   the files that match the hash they are named by, with their size and sha256
     * @param problems the broken ones
     */
    record Inspection(List<VerifiedFile> intact, List<CorruptCacheException> problems) {
    }

    /** Reads every file of the snapshot once, checking it and learning its sha256 in the same pass. */
    Inspection inspect(CachedSnapshot snapshot) {
        List<VerifiedFile> intact = new ArrayList<>();
        List<CorruptCacheException> problems = new ArrayList<>();
        for (Map.Entry<String, Path> entry : snapshot.files().entrySet()) {
            try {
                intact.add(inspectFile(snapshot, entry.getKey(), entry.getValue()));
            } catch (CorruptCacheException problem) {
                problems.add(problem);
            }
        }
        return new Inspection(List.copyOf(intact), List.copyOf(problems));
    }

    private VerifiedFile inspectFile(CachedSnapshot snapshot, String file, Path path) throws CorruptCacheException {
        Path blobsDir = repoDir(snapshot.ref()).resolve("blobs");
        try {
            if (Files.isSymbolicLink(path)) {
                Path blob = path.getParent().resolve(Files.readSymbolicLink(path)).normalize();
                String blobName = blob.getFileName() == null ? "" : blob.getFileName().toString();
                if (!blobsDir.equals(blob.getParent()) || !Names.isEtag(blobName)) {
                    throw corrupt(snapshot, file, path, "a link into " + blobsDir, "a link to " + blob);
                }
                if (!Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS)) {
                    throw corrupt(snapshot, file, path, "blob " + blobName, "the blob is missing");
                }
                Hashing.FileHashes hashes = Hashing.hashFor(blob, blobName);
                if (!hashes.matches(blobName)) {
                    throw corrupt(snapshot, file, path, blobName, hashes.actualFor(blobName));
                }
                return new VerifiedFile(file, hashes.sizeBytes(), hashes.sha256());
            }
            if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                // A copy, made where symlinks are impossible: intact when its content names a blob we keep.
                Hashing.FileHashes hashes = Hashing.hash(path, true);
                if (Files.isRegularFile(blobsDir.resolve(hashes.sha256()))
                        || Files.isRegularFile(blobsDir.resolve(hashes.gitBlobSha1()))) {
                    return new VerifiedFile(file, hashes.sizeBytes(), hashes.sha256());
                }
                throw corrupt(snapshot, file, path, "content equal to a blob in " + blobsDir,
                        "sha256 " + hashes.sha256() + " / git blob sha1 " + hashes.gitBlobSha1() + ", matching no blob");
            }
            throw corrupt(snapshot, file, path, "a file", "nothing");
        } catch (IOException e) {
            throw corrupt(snapshot, file, path, "a readable file", "unreadable (" + e + ")");
        }
    }

    private static CorruptCacheException corrupt(CachedSnapshot snapshot, String file, Path path, String expected,
            String actual) {
        String message = "Cached file " + file + " of " + snapshot.ref().repoId() + " (revision "
                + snapshot.ref().revision() + ", commit " + snapshot.commit() + ") is corrupt: expected " + expected
                + ", found " + actual + " (" + path + "). Re-download it: start once with network access"
                + " (HF_HUB_OFFLINE unset) so the file is fetched again, or run scripts/download-embedding-model.sh";
        return new CorruptCacheException(message, file, path, expected, actual);
    }

    Path blobsDir(RepoRef ref) {
        return repoDir(ref).resolve("blobs");
    }

    Path blobPath(RepoRef ref, String etag) throws UnsafeNameException {
        Names.validateEtag(etag);
        return Names.inside(blobsDir(ref), etag, "etag");
    }

    Path snapshotDir(RepoRef ref, String commit) throws UnsafeNameException {
        Names.validateCommit(commit);
        return Names.inside(repoDir(ref).resolve("snapshots"), commit, "commit hash");
    }

    Path snapshotFile(RepoRef ref, String commit, String filename) throws UnsafeNameException {
        Names.validateFilename(filename);
        return Names.inside(snapshotDir(ref, commit), filename, "file name");
    }

    Path lockPath(RepoRef ref, String etag) throws UnsafeNameException {
        Names.validateEtag(etag);
        return Names.inside(cacheDir.resolve(".locks").resolve(ref.folderName()), etag + ".lock", "etag");
    }

    /** Whether {@code blob} exists with the expected size and the hash its name says. */
    boolean blobIsValid(Path blob, String etag, long sizeBytes) {
        try {
            return Files.isRegularFile(blob, LinkOption.NOFOLLOW_LINKS) && Files.size(blob) == sizeBytes
                    && Hashing.hashFor(blob, etag).matches(etag);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A new empty file {@code blobs/{etag}.{pid}-{random}.incomplete}: unique to this process and call, and
     * never the name of huggingface_hub's own {@code {etag}.incomplete}.
     */
    Path newTempBlob(RepoRef ref, String etag) throws HubException {
        Path blob = blobPath(ref, etag);
        Path dir = blob.getParent();
        try {
            Files.createDirectories(dir);
            while (true) {
                Path temp = dir.resolve(etag + "." + PID + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1)
                        + ".incomplete");
                try {
                    return Files.createFile(temp);
                } catch (FileAlreadyExistsException e) {
                    LOG.fine(() -> "Temp name taken, drawing another: " + temp);
                }
            }
        } catch (IOException e) {
            throw writeFailure(dir, e);
        }
    }

    /**
     * Takes over the largest of our own temp files of {@code etag} that an interrupted download left (a killed
     * process, or an earlier attempt of this one that lost the network), by renaming it to a fresh temp name of this
     * process: the download then resumes after its bytes instead of starting again, and a crash loop does not pile up
     * one partial file per crash. Call only with the blob's lock held, so that no downloader honouring the lock
     * writes to it any more; its bytes are still only a prefix to be verified, since the download hashes them too.
     *
     * @return the adopted temp file, or empty when there is none worth resuming
     */
    Optional<Path> adoptLeftover(RepoRef ref, String etag, long sizeBytes) throws UnsafeNameException {
        Path dir = blobPath(ref, etag).getParent();
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        Path best = null;
        long bestSize = -1;
        List<Path> others = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, etag + ".*.incomplete")) {
            for (Path entry : entries) {
                String suffix = entry.getFileName().toString().substring(etag.length());
                if (!OWN_TEMP_SUFFIX.matcher(suffix).matches() || !Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long size = Files.size(entry);
                if (size > bestSize && size <= sizeBytes) {
                    if (best != null) {
                        others.add(best);
                    }
                    best = entry;
                    bestSize = size;
                } else {
                    others.add(entry);
                }
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "Could not look for leftovers in " + dir, e);
            return Optional.empty();
        }
        // The lock is held, so the other leftovers are dead too (an empty one is what a kill right after creating
        // the temp file leaves): one partial file per blob at most, whatever the crash history.
        for (Path other : others) {
            LOG.log(Level.INFO, "Deleting leftover of an interrupted download: {0}", other);
            deleteQuietly(other);
        }
        if (best == null) {
            return Optional.empty();
        }
        try {
            Path adopted = dir.resolve(etag + "." + PID + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1)
                    + ".incomplete");
            Files.move(best, adopted, StandardCopyOption.ATOMIC_MOVE);
            if (bestSize > 0) {
                LOG.log(Level.INFO, "Resuming an interrupted download from its {0} bytes: {1}",
                        new Object[] {bestSize, best});
            }
            return Optional.of(adopted);
        } catch (IOException e) {
            LOG.log(Level.FINE, "Could not take over " + best, e);
            return Optional.empty();
        }
    }

    /** Makes the verified {@code temp} durable and renames it atomically over {@code blob}. */
    void installBlob(Path temp, Path blob) throws CacheWriteException {
        try {
            AtomicFiles.install(temp, blob);
        } catch (IOException e) {
            throw writeFailure(blob, e);
        }
    }

    /**
     * Points {@code snapshots/{commit}/{filename}} at {@code blobs/{etag}} with a relative symlink, as
     * huggingface_hub does; a copy of the blob where the file system has no symlinks. The link is made under a
     * temp name and renamed over the old entry, so readers see the old or the new entry, never none.
     */
    void link(RepoRef ref, String commit, String filename, String etag) throws HubException {
        Path target = snapshotFile(ref, commit, filename);
        Path blob = blobPath(ref, etag);
        Path relative = target.getParent().relativize(blob);
        try {
            Files.createDirectories(target.getParent());
            if (Files.isSymbolicLink(target) && Files.readSymbolicLink(target).equals(relative)) {
                return;
            }
            Path temp = tempSibling(ref);
            try {
                Files.createSymbolicLink(temp, relative);
            } catch (UnsupportedOperationException | FileSystemException e) {
                LOG.log(Level.WARNING, "Symlinks are not supported in {0} ({1}); storing a copy of {2}",
                        new Object[] {target.getParent(), e.getMessage(), filename});
                Files.deleteIfExists(temp);
                AtomicFiles.write(target, temp, out -> Files.copy(blob, out));
                return;
            }
            try {
                AtomicFiles.moveAtomically(temp, target);
                AtomicFiles.forceDirectory(target.getParent());
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw writeFailure(target, e);
        }
    }

    /** Removes the snapshot entry of a file, so that it no longer counts as cached. */
    void unlink(RepoRef ref, String commit, String filename) throws HubException {
        Path target = snapshotFile(ref, commit, filename);
        try {
            Files.deleteIfExists(target);
        } catch (IOException e) {
            throw writeFailure(target, e);
        }
    }

    /** Deletes a blob that failed verification, so that nothing wrong stays under a final name. */
    void deleteBlob(RepoRef ref, String etag) throws HubException {
        Path blob = blobPath(ref, etag);
        try {
            Files.deleteIfExists(blob);
        } catch (IOException e) {
            throw writeFailure(blob, e);
        }
    }

    /**
     * Records which commit {@code ref.revision()} stands for. Nothing is written when the revision is the commit
     * itself, nor when the ref already holds it (a read-only cache then still works), as huggingface_hub does.
     */
    void writeRef(RepoRef ref, String commit) throws HubException {
        Names.validateCommit(commit);
        if (ref.revision().equals(commit)) {
            return;
        }
        Path refFile = Names.inside(repoDir(ref).resolve("refs"), ref.revision(), "revision");
        try {
            if (Files.isRegularFile(refFile) && Files.readString(refFile, StandardCharsets.UTF_8).strip().equals(commit)) {
                return;
            }
            Files.createDirectories(refFile.getParent());
            // no newline: huggingface_hub writes the bare hash
            AtomicFiles.write(refFile, tempSibling(ref), out -> out.write(commit.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw writeFailure(refFile, e);
        }
    }

    /**
     * Takes the per-blob lock at huggingface_hub's lock path. Waits at most the configured lock wait (another
     * thread or process may be downloading the same blob), then proceeds without it: the lock saves bandwidth,
     * the unique temp names and atomic renames keep the cache correct.
     *
     * <p>Threads of this JVM first queue on an in-process lock, so that only one of them at a time opens the lock
     * file: file locks belong to the whole JVM, and closing any channel on the file could release another
     * thread's lock.
     */
    BlobLock lock(RepoRef ref, String etag) throws HubException {
        Path lockFile = lockPath(ref, etag);
        long deadline = System.nanoTime() + lockWait.toNanos();
        ReentrantLock threadLock = THREAD_LOCKS.computeIfAbsent(lockFile, path -> new ReentrantLock());
        try {
            if (!threadLock.tryLock(lockWait.toNanos(), TimeUnit.NANOSECONDS)) {
                LOG.log(Level.WARNING, "Lock {0} still held by another thread after {1}; proceeding without it",
                        new Object[] {lockFile, lockWait});
                return new BlobLock(null, null, null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("Interrupted while waiting for lock " + lockFile, e);
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            boolean waitLogged = false;
            while (true) {
                FileLock lock = tryLock(channel);
                if (lock != null) {
                    return new BlobLock(threadLock, channel, lock);
                }
                long remainingNanos = deadline - System.nanoTime();
                if (remainingNanos <= 0) {
                    LOG.log(Level.WARNING, "Lock {0} still held by another process after {1}; proceeding without it",
                            new Object[] {lockFile, lockWait});
                    return new BlobLock(threadLock, channel, null);
                }
                if (!waitLogged) {
                    LOG.log(Level.INFO, "Waiting for another download of the same file to finish (lock {0})", lockFile);
                    waitLogged = true;
                }
                Thread.sleep(Math.min(LOCK_POLL.toMillis(), Math.max(1, remainingNanos / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            new BlobLock(threadLock, channel, null).close();
            throw new HubException("Interrupted while waiting for lock " + lockFile, e);
        } catch (IOException e) {
            new BlobLock(threadLock, channel, null).close();
            throw writeFailure(lockFile, e);
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Only reachable when another HubCache of this JVM uses a different path spelling for the same file.
            return null;
        }
    }

    /** Deletes our own temp files of {@code etag} that nobody has written to for a long time (killed downloads). */
    void deleteStaleTemps(RepoRef ref, String etag) {
        Path dir = blobsDir(ref);
        if (!Files.isDirectory(dir)) {
            return;
        }
        Instant staleBefore = Instant.now().minus(STALE_TEMP_AGE);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, etag + ".*.incomplete")) {
            for (Path entry : entries) {
                String suffix = entry.getFileName().toString().substring(etag.length());
                if (OWN_TEMP_SUFFIX.matcher(suffix).matches()) {
                    FileTime modified = Files.getLastModifiedTime(entry, LinkOption.NOFOLLOW_LINKS);
                    if (modified.toInstant().isBefore(staleBefore)) {
                        LOG.log(Level.INFO, "Deleting leftover of an interrupted download: {0}", entry);
                        Files.deleteIfExists(entry);
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "Could not clean leftovers in " + dir, e);
        }
    }

    static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Could not delete temp file {0}: {1}", new Object[] {path, e.getMessage()});
        }
    }

    /** A temp name in the repo folder (where huggingface_hub also puts its transient files), outside refs/ and snapshots/. */
    private Path tempSibling(RepoRef ref) {
        return repoDir(ref).resolve(".tmp-" + PID + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "Closing a lock file failed", e);
        }
    }

    static CacheWriteException writeFailure(Path path, IOException e) {
        String reason = e instanceof NoSuchFileException ? "no such file or directory" : String.valueOf(e.getMessage());
        return new CacheWriteException("Cannot write to the model cache at " + path + ": " + reason
                + " (is the disk full or the volume read-only? MODEL_CACHE_DIR must be writable to download a model)", e);
    }

    /** A held (or, after the wait ran out, not held) per-blob lock. */
    static final class BlobLock implements AutoCloseable {
        private final ReentrantLock threadLock;
        private final FileChannel channel;
        private final FileLock lock;

        private BlobLock(ReentrantLock threadLock, FileChannel channel, FileLock lock) {
            this.threadLock = threadLock;
            this.channel = channel;
            this.lock = lock;
        }

        boolean held() {
            return lock != null;
        }

        @Override
        public void close() {
            try {
                if (lock != null) {
                    lock.release();
                }
            } catch (IOException e) {
                LOG.log(Level.FINE, "Releasing a blob lock failed", e);
            } finally {
                if (channel != null) {
                    closeQuietly(channel);
                }
                if (threadLock != null) {
                    threadLock.unlock();
                }
            }
        }
    }
}
