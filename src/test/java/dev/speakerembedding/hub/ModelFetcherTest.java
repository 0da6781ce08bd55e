package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.ECAPA;
import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RecordedRequest;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RepoFile;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFetcherTest {
    @TempDir
    Path cacheDir;

    private HubStandIn hub;
    private String commit;
    private final Map<String, byte[]> files = TestModels.ecapaFiles(7);

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        commit = hub.addRepo(REPO, null, files, false);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void firstFetchDownloadsVerifiesAndWritesHuggingfaceHubLayout() throws Exception {
        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        Path repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
        assertEquals(commit, Files.readString(repoDir.resolve("refs/main"), StandardCharsets.UTF_8),
                "refs/main holds the bare commit hash, no newline");
        assertEquals(commit, snapshot.commit());
        assertEquals(repoDir.resolve("snapshots").resolve(commit), snapshot.snapshotDir());
        assertEquals(ECAPA.required(), new ArrayList<>(snapshot.files().keySet()));

        List<String> expectedTree = new ArrayList<>();
        for (String name : ECAPA.required()) {
            RepoFile file = hub.file(REPO, name);
            Path link = repoDir.resolve("snapshots").resolve(commit).resolve(name);
            assertTrue(Files.isSymbolicLink(link), name + " is a symlink");
            assertEquals(Path.of("../../blobs/" + file.etag()), Files.readSymbolicLink(link),
                    name + " links relatively to its blob, as huggingface_hub does");
            Path blob = repoDir.resolve("blobs").resolve(file.etag());
            assertArrayEquals(files.get(name), Files.readAllBytes(blob));
            if (name.endsWith(".ckpt")) {
                assertEquals(64, file.etag().length(), name + " is an LFS file named by sha256");
                assertEquals(file.etag(), FileDigests.sha256(blob));
            } else {
                assertEquals(40, file.etag().length(), name + " is named by its git blob sha1");
                assertEquals(file.etag(), Hashing.hash(blob, true).gitBlobSha1());
            }
            expectedTree.add("blobs/" + file.etag());
            expectedTree.add("snapshots/" + commit + "/" + name);
        }
        expectedTree.add("refs/main");
        assertEquals(expectedTree.stream().sorted().collect(Collectors.toList()), TestModels.tree(repoDir),
                "nothing but blobs, links and the ref: no temp file left");
        for (String name : ECAPA.required()) {
            String etag = hub.file(REPO, name).etag();
            assertTrue(Files.exists(cacheDir.resolve(".locks/models--speechbrain--spkrec-ecapa-voxceleb/" + etag + ".lock")),
                    "lock file at huggingface_hub's place for " + name);
        }
        assertEquals(5, hub.requests(HubStandIn.HUB).stream().filter(r -> r.method().equals("HEAD")).count());
        assertEquals(5, hub.requests().stream().filter(r -> r.method().equals("GET")).count(),
                "one GET per file: 2 small files from the Hub, 3 LFS files from the CDN");
        assertEquals(3, hub.requests(HubStandIn.CDN).size());
    }

    @Test
    void everySnapshotHandedOverCarriesTheSizeAndSha256OfEachFileAsVerified() throws Exception {
        List<VerifiedFile> expected = new ArrayList<>();
        for (String name : ECAPA.required()) {
            RepoFile file = hub.file(REPO, name);
            expected.add(new VerifiedFile(name, file.sizeBytes(), file.sha256()));
        }

        CachedSnapshot downloaded = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        CachedSnapshot cached = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, true);

        assertEquals(expected, downloaded.verifiedFiles(), "after a download");
        assertEquals(expected, cached.verifiedFiles(), "from the cache");
    }

    @Test
    void headsAfterTheFirstAreAskedAtTheCommitTheFirstResolvedTo() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        List<String> headPaths = hub.requests(HubStandIn.HUB).stream().filter(r -> r.method().equals("HEAD"))
                .map(RecordedRequest::path).collect(Collectors.toList());
        assertEquals("/" + REPO + "/resolve/main/hyperparams.yaml", headPaths.get(0));
        for (String path : headPaths.subList(1, headPaths.size())) {
            assertTrue(path.startsWith("/" + REPO + "/resolve/" + commit + "/"), path);
        }
    }

    @Test
    void secondFetchWithHubStoppedSucceedsWithoutAnyRequest() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        hub.clearRequests();
        hub.stop();

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        assertEquals(commit, snapshot.commit());
        assertEquals(0, hub.requestCount());
        assertArrayEquals(files.get("embedding_model.ckpt"), Files.readAllBytes(snapshot.file("embedding_model.ckpt")));
    }

    @Test
    void offlineWithCachedModelMakesNoRequest() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        hub.clearRequests();

        CachedSnapshot snapshot = new ModelFetcher(new HubCache(cacheDir), null, null).ensure(TestModels.main(), ECAPA, true);
        CachedSnapshot alsoWithClient = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, true);

        assertEquals(commit, snapshot.commit());
        assertEquals(snapshot, alsoWithClient);
        assertEquals(0, hub.requestCount());
    }

    @Test
    void offlineWithoutCacheThrowsOfflineCacheMissWithTheRemedy() {
        OfflineCacheMissException e = assertThrows(OfflineCacheMissException.class,
                () -> TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, true));

        assertTrue(e.getMessage().startsWith("Model not cached and offline mode is enabled"), e.getMessage());
        assertTrue(e.getMessage().contains("unset HF_HUB_OFFLINE"), e.getMessage());
        assertTrue(e.getMessage().contains("HF_ENDPOINT"), e.getMessage());
        assertTrue(e.getMessage().contains("scripts/download-embedding-model.sh"), e.getMessage());
        assertTrue(e.getMessage().contains(REPO), e.getMessage());
        assertFalse(e.retryable());
        assertEquals(0, hub.requestCount());
    }

    @Test
    void offlineWithPartialCacheNamesTheMissingFiles() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        Files.delete(cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/snapshots/" + commit + "/classifier.ckpt"));
        hub.clearRequests();

        OfflineCacheMissException e = assertThrows(OfflineCacheMissException.class,
                () -> new ModelFetcher(new HubCache(cacheDir), null, null).ensure(TestModels.main(), ECAPA, true));

        assertTrue(e.getMessage().contains("lacks classifier.ckpt"), e.getMessage());
        assertEquals(0, hub.requestCount());
    }

    @Test
    void flippedByteInCachedBlobIsDownloadedAgainOnline() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        RepoFile model = hub.file(REPO, "embedding_model.ckpt");
        Path blob = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/blobs/" + model.etag());
        flipByte(blob, 1234);
        hub.clearRequests();

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        assertArrayEquals(model.content(), Files.readAllBytes(blob));
        assertEquals(model.etag(), FileDigests.sha256(snapshot.file("embedding_model.ckpt")));
        List<RecordedRequest> gets = hub.requests().stream().filter(r -> r.method().equals("GET")).collect(Collectors.toList());
        assertEquals(1, gets.size(), "only the corrupt file is downloaded again: " + gets);
        assertTrue(gets.get(0).path().contains(model.sha256()));
        assertTrue(hub.requests(HubStandIn.HUB).stream().allMatch(r -> r.path().contains("/resolve/" + commit + "/")),
                "the repair stays at the cached commit");
    }

    @Test
    void flippedByteInCachedBlobOfflineThrowsCorruptCacheNamingTheFile() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        RepoFile model = hub.file(REPO, "mean_var_norm_emb.ckpt");
        Path blob = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/blobs/" + model.etag());
        flipByte(blob, 10);
        hub.clearRequests();

        CorruptCacheException e = assertThrows(CorruptCacheException.class,
                () -> new ModelFetcher(new HubCache(cacheDir), null, null).ensure(TestModels.main(), ECAPA, true));

        assertEquals("mean_var_norm_emb.ckpt", e.fileName());
        assertEquals(model.etag(), e.expected());
        assertEquals(FileDigests.sha256(blob), e.actual());
        assertNotEquals(e.expected(), e.actual());
        assertTrue(e.getMessage().contains("mean_var_norm_emb.ckpt"), e.getMessage());
        assertTrue(e.getMessage().contains("Re-download"), e.getMessage());
        assertTrue(e.getMessage().contains("scripts/download-embedding-model.sh"), e.getMessage());
        assertEquals(0, hub.requestCount());
        assertTrue(Files.exists(blob), "offline, nothing is deleted");
    }

    @Test
    void corruptSmallFileIsCaughtByItsGitBlobSha1() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        RepoFile yaml = hub.file(REPO, "hyperparams.yaml");
        Path blob = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/blobs/" + yaml.etag());
        flipByte(blob, 3);

        HubCache cache = new HubCache(cacheDir);
        CachedSnapshot snapshot = cache.find(TestModels.main(), ECAPA).orElseThrow();
        CorruptCacheException e = assertThrows(CorruptCacheException.class, () -> cache.verify(snapshot));

        assertEquals("hyperparams.yaml", e.fileName());
        assertEquals(yaml.gitSha1(), e.expected());
        assertEquals(Hashing.hash(blob, true).gitBlobSha1(), e.actual());
    }

    @Test
    void findAndIsCompleteNeedEveryRequiredFileButHashNothing() throws Exception {
        HubCache cache = new HubCache(cacheDir);
        assertFalse(cache.isComplete(TestModels.main(), ECAPA));
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        assertTrue(cache.isComplete(TestModels.main(), ECAPA));

        flipByte(cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/blobs/"
                + hub.file(REPO, "classifier.ckpt").etag()), 0);
        assertTrue(cache.isComplete(TestModels.main(), ECAPA), "presence only");

        Files.delete(cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/blobs/"
                + hub.file(REPO, "label_encoder.txt").etag()));
        assertFalse(cache.isComplete(TestModels.main(), ECAPA), "a link whose blob is gone does not count");
    }

    @Test
    void revisionGivenAsCommitWritesNoRefFile() throws Exception {
        RepoRef pinned = new RepoRef(REPO, commit);
        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(pinned, ECAPA, false);

        Path repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
        assertEquals(commit, snapshot.commit());
        assertFalse(Files.exists(repoDir.resolve("refs")), "huggingface_hub writes no ref for a commit revision");
        assertEquals(java.util.Optional.of(commit), new HubCache(cacheDir).resolveCommit(pinned));
        hub.clearRequests();
        new ModelFetcher(new HubCache(cacheDir), null, null).ensure(pinned, ECAPA, true);
        assertEquals(0, hub.requestCount());
    }

    @Test
    void optionalFilesAreFetchedWhenTheHubHasThemAndSkippedOn404() throws Exception {
        RepoFiles format = new RepoFiles(ECAPA.required(),
                List.of("README.md", "sub dir/extra file.json"));
        Map<String, byte[]> withReadme = new java.util.LinkedHashMap<>(files);
        withReadme.put("README.md", "# model card\n".getBytes(StandardCharsets.UTF_8));
        String newCommit = hub.addRepo(REPO, null, withReadme, false);

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), format, false);

        assertEquals(newCommit, snapshot.commit());
        assertTrue(snapshot.files().containsKey("README.md"));
        assertFalse(snapshot.files().containsKey("sub dir/extra file.json"));
        assertTrue(hub.requests().stream().anyMatch(r -> r.path().endsWith("/sub%20dir/extra%20file.json") && r.status() == 404),
                "the optional file was asked for, with huggingface_hub's quoting");
    }

    @Test
    void progressIsReportedAtMostOncePerIntervalAndEveryFileIsReportedDone() throws Exception {
        hub.setSlowdown(Duration.ofMillis(5), 8 * 1024);
        List<long[]> reports = new ArrayList<>();
        List<String> done = new ArrayList<>();
        DownloadListener listener = new DownloadListener() {
            @Override
            public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
                if (file.equals("embedding_model.ckpt")) {
                    reports.add(new long[] {System.nanoTime(), bytesDone, bytesTotal, (long) bytesPerSecond});
                }
            }

            @Override
            public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
                done.add(file + ":" + bytes + ":" + downloaded);
            }
        };
        HubSettings settings = TestModels.settings(hub.endpoint());
        settings = new HubSettings(settings.endpoint(), settings.token(), settings.connectTimeout(), settings.readTimeout(),
                settings.maxRetries(), Duration.ofMillis(50), settings.retryBaseDelay(), settings.retryMaxDelay());
        new ModelFetcher(new HubCache(cacheDir), new HubClient(settings), listener).ensure(TestModels.main(), ECAPA, false);

        assertTrue(reports.size() >= 2, "a ~200 ms download reports a few times: " + reports.size());
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i)[0] - reports.get(i - 1)[0] >= Duration.ofMillis(50).toNanos(), "interval respected");
            assertTrue(reports.get(i)[1] >= reports.get(i - 1)[1]);
        }
        for (long[] report : reports) {
            assertEquals(300_000, report[2]);
            assertTrue(report[3] > 0, "bytes per second measured");
        }
        assertEquals(5, done.size());
        assertTrue(done.contains("embedding_model.ckpt:300000:true"), done.toString());

        done.clear();
        Files.delete(cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/snapshots/" + commit + "/classifier.ckpt"));
        new ModelFetcher(new HubCache(cacheDir), new HubClient(settings), listener).ensure(TestModels.main(), ECAPA, false);
        assertTrue(done.contains("classifier.ckpt:40000:false"), "blob still there: relinked, not fetched: " + done);
    }

    @Test
    void renamedRepoIsReachedThroughTheHubsRelativeRedirect() throws Exception {
        hub.renameRepo("speechbrain/old-name", REPO);

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint())
                .ensure(new RepoRef("speechbrain/old-name", "main"), ECAPA, false);

        assertEquals(commit, snapshot.commit());
        assertTrue(Files.isDirectory(cacheDir.resolve("models--speechbrain--old-name/snapshots/" + commit)),
                "cached under the name asked for, as huggingface_hub does");
        assertTrue(hub.requests().stream().anyMatch(r -> r.status() == 307));
    }

    static void flipByte(Path file, int offset) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[offset] ^= (byte) 0xff;
        Files.write(file, bytes);
    }
}
