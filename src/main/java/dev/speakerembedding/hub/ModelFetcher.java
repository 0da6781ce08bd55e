package dev.speakerembedding.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Makes a model available in the cache, following the old service's rules:
 *
 * <ul>
 *   <li>cached (ref and complete snapshot): verified and returned without any network request, so a cached
 *       model loads with the Hub down;
 *   <li>not cached, online: each file's metadata from the Hub, missing or corrupt blobs downloaded, snapshot
 *       links and the ref written, everything verified;
 *   <li>not cached, offline: {@link OfflineCacheMissException} with the remedy;
 *   <li>cached but corrupt: online, the broken files are downloaded again; offline, {@link CorruptCacheException}.
 * </ul>
 */
public final class ModelFetcher {
    private static final Logger LOG = Logger.getLogger(ModelFetcher.class.getName());

    private final HubCache cache;
    private final HubClient client;
    private final DownloadListener listener;

    /**
     * @param client null when offline: then only the cache is consulted
     * @param listener null for no progress reports
     */
    public ModelFetcher(HubCache cache, HubClient client, DownloadListener listener) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.client = client;
        this.listener = listener == null ? DownloadListener.none() : listener;
    }

    /**
     * The snapshot of {@code files} at {@code ref}, every file verified: its {@link CachedSnapshot#verifiedFiles()}
     * are the sizes and sha256 read while verifying.
     */
    public CachedSnapshot ensure(RepoRef ref, RepoFiles files, boolean offline) throws HubException {
        boolean online = !offline && client != null;
        Optional<CachedSnapshot> cached = cache.find(ref, files);
        if (cached.isPresent()) {
            CachedSnapshot snapshot = cached.get();
            HubCache.Inspection inspection = cache.inspect(snapshot);
            List<CorruptCacheException> problems = inspection.problems();
            if (problems.isEmpty()) {
                LOG.log(Level.INFO, "Model {0} (revision {1}, commit {2}) found in cache {3}",
                        new Object[] {ref.repoId(), ref.revision(), snapshot.commit(), cache.cacheDir()});
                return snapshot.withVerified(inspection.intact());
            }
            if (!online) {
                CorruptCacheException first = problems.get(0);
                problems.stream().skip(1).forEach(first::addSuppressed);
                throw first;
            }
            for (CorruptCacheException problem : problems) {
                LOG.log(Level.WARNING, "{0}; downloading it again", problem.getMessage());
                discard(snapshot, problem.fileName());
            }
            // Repair at the cached commit: the model must not change version as a side effect of a repair.
            return fetch(ref, files, snapshot.commit());
        }
        if (!online) {
            throw offlineMiss(ref, files);
        }
        return fetch(ref, files, null);
    }

    /** The files of the snapshot cached for {@code ref}, without any network request; empty when none is cached. */
    public Optional<RepoListing> cachedListing(RepoRef ref) {
        return cache.cachedListing(ref);
    }

    /**
     * The repository's files at {@code ref}: online from the Hub (one request); offline from the cached snapshot, as
     * huggingface_hub's offline mode sees the repository.
     *
     * @throws OfflineCacheMissException offline, when no snapshot of {@code ref} is cached
     */
    public RepoListing listFiles(RepoRef ref, boolean offline) throws HubException {
        if (offline || client == null) {
            Optional<RepoListing> cached = cache.cachedListing(ref);
            if (cached.isEmpty()) {
                throw offlineMiss(ref, null);
            }
            return cached.get();
        }
        LOG.log(Level.INFO, "Listing the files of {0} (revision {1}) on {2}",
                new Object[] {ref.repoId(), ref.revision(), client.settings().endpoint()});
        return client.listFiles(ref);
    }

    private CachedSnapshot fetch(RepoRef ref, RepoFiles files, String pinnedCommit) throws HubException {
        LOG.log(Level.INFO, "Fetching model {0} (revision {1}) from {2} into {3}",
                new Object[] {ref.repoId(), ref.revision(), client.settings().endpoint(), cache.cacheDir()});
        String commit = pinnedCommit;
        Map<String, FileMetadata> metadata = new LinkedHashMap<>();
        for (String file : files.required()) {
            // Once the first answer names the commit, the others are asked at that commit: a push to the branch
            // between two requests cannot mix files of two commits.
            FileMetadata meta = client.head(commit == null ? ref : ref.atCommit(commit), file);
            commit = checkCommit(ref, file, commit, meta);
            metadata.put(file, meta);
        }
        for (String file : files.optional()) {
            try {
                FileMetadata meta = client.head(ref.atCommit(commit), file);
                metadata.put(file, checkedAt(ref, file, commit, meta));
            } catch (RepoNotFoundException e) {
                if (e.missing() != RepoNotFoundException.Missing.FILE) {
                    throw e;
                }
                LOG.log(Level.FINE, "Optional file {0} is not in {1}", new Object[] {file, ref.repoId()});
            }
        }
        for (Map.Entry<String, FileMetadata> entry : metadata.entrySet()) {
            ensureBlob(ref, entry.getKey(), entry.getValue());
            cache.link(ref, commit, entry.getKey(), entry.getValue().etag());
        }
        cache.writeRef(ref, commit);
        String fetchedCommit = commit;
        CachedSnapshot snapshot = cache.verify(cache.snapshotAt(ref, commit, files)
                .orElseThrow(() -> new CacheWriteException("Files of " + ref.repoId() + " at commit " + fetchedCommit
                        + " disappeared from " + cache.cacheDir() + " right after download", null)));
        LOG.log(Level.INFO, "Model {0} (revision {1}, commit {2}) is cached in {3}",
                new Object[] {ref.repoId(), ref.revision(), commit, snapshot.snapshotDir()});
        return snapshot;
    }

    private static String checkCommit(RepoRef ref, String file, String commit, FileMetadata meta) throws HubException {
        return commit == null ? meta.commit() : checkedAt(ref, file, commit, meta).commit();
    }

    private static FileMetadata checkedAt(RepoRef ref, String file, String commit, FileMetadata meta)
            throws HubException {
        if (!meta.commit().equalsIgnoreCase(commit)) {
            throw new HubException("The Hub answered commit " + meta.commit() + " for " + file + " of " + ref.repoId()
                    + " when asked for commit " + commit);
        }
        return meta;
    }

    /** Puts a verified blob in place unless a valid one is there; under the per-blob lock shared with other processes. */
    private void ensureBlob(RepoRef ref, String file, FileMetadata meta) throws HubException {
        long startNanos = System.nanoTime();
        Path blob = cache.blobPath(ref, meta.etag());
        if (cache.blobIsValid(blob, meta.etag(), meta.sizeBytes())) {
            listener.fileDone(file, meta.sizeBytes(), since(startNanos), false);
            return;
        }
        try (HubCache.BlobLock lock = cache.lock(ref, meta.etag())) {
            // Another process may have finished this blob while we waited for the lock.
            if (cache.blobIsValid(blob, meta.etag(), meta.sizeBytes())) {
                listener.fileDone(file, meta.sizeBytes(), since(startNanos), false);
                return;
            }
            if (Files.exists(blob)) {
                LOG.log(Level.WARNING, "Blob {0} of {1} does not match its name; replacing it", new Object[] {blob, file});
                cache.deleteBlob(ref, meta.etag());
            }
            cache.deleteStaleTemps(ref, meta.etag());
            // Only under the lock may another download's leftover be taken over: nobody else writes to it then.
            Path temp = lock.held() ? cache.adoptLeftover(ref, meta.etag(), meta.sizeBytes()).orElse(null) : null;
            if (temp == null) {
                temp = cache.newTempBlob(ref, meta.etag());
            }
            boolean keepForResume = false;
            try {
                client.download(ref, file, meta, temp, listener);
                cache.installBlob(temp, blob);
            } catch (HubException e) {
                // The network failed after retries: the next attempt (or the next start) resumes from these bytes.
                // Anything else (wrong bytes, a full or read-only disk) leaves nothing partial behind.
                keepForResume = e.retryable() && !(e instanceof DownloadVerificationException);
                throw e;
            } finally {
                if (!keepForResume) {
                    HubCache.deleteQuietly(temp);
                }
            }
        }
        listener.fileDone(file, meta.sizeBytes(), since(startNanos), true);
    }

    /** Drops a corrupt file's blob and snapshot entry, so nothing wrong sits under a final name during the repair. */
    private void discard(CachedSnapshot snapshot, String file) throws HubException {
        Path entry = snapshot.files().get(file);
        if (entry != null && Files.isSymbolicLink(entry)) {
            try {
                Path blob = entry.getParent().resolve(Files.readSymbolicLink(entry)).normalize();
                String blobName = blob.getFileName().toString();
                if (Names.isEtag(blobName) && blob.equals(cache.blobPath(snapshot.ref(), blobName))) {
                    try (HubCache.BlobLock lock = cache.lock(snapshot.ref(), blobName)) {
                        cache.deleteBlob(snapshot.ref(), blobName);
                    }
                }
            } catch (java.io.IOException e) {
                LOG.log(Level.FINE, "Could not read the link of " + entry, e);
            }
        }
        cache.unlink(snapshot.ref(), snapshot.commit(), file);
    }

    private OfflineCacheMissException offlineMiss(RepoRef ref, RepoFiles files) {
        Optional<String> commit = cache.resolveCommit(ref);
        String state;
        if (commit.isEmpty()) {
            state = "no snapshot for revision " + ref.revision();
        } else if (files == null) {
            state = "no snapshot directory for commit " + commit.get();
        } else {
            List<String> missing = new ArrayList<>();
            for (String file : files.required()) {
                try {
                    if (!Files.isRegularFile(cache.snapshotFile(ref, commit.get(), file))) {
                        missing.add(file);
                    }
                } catch (UnsafeNameException e) {
                    missing.add(file);
                }
            }
            state = "commit " + commit.get() + " lacks " + String.join(", ", missing);
        }
        return new OfflineCacheMissException("Model not cached and offline mode is enabled: " + ref.repoId()
                + " (revision " + ref.revision() + ") is not complete in MODEL_CACHE_DIR " + cache.cacheDir() + " ("
                + state + "). To fix it, either unset HF_HUB_OFFLINE and start once with network access so the model"
                + " is downloaded and cached, or point HF_ENDPOINT at a reachable Hub mirror, or fill MODEL_CACHE_DIR"
                + " with scripts/download-embedding-model.sh on a machine with network access.");
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
