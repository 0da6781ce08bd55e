package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.ECAPA;
import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn.RecordedRequest;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RepoFile;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloadResilienceTest {
    private static final String MODEL = "embedding_model.ckpt";

    @TempDir
    Path cacheDir;

    private HubStandIn hub;
    private String commit;
    private RepoFile model;
    private Path repoDir;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        commit = hub.addRepo(REPO, null, TestModels.ecapaFiles(11), false);
        model = hub.file(REPO, MODEL);
        repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void connectionCutMidBodyResumesWithRangeAndEndsWithTheRightBlob() throws Exception {
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        hub.cutNextBodies(1, 100_000);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");

        long sizeBytes = client.download(TestModels.main(), MODEL, meta, target, null);

        assertEquals(300_000, sizeBytes);
        assertArrayEquals(model.content(), Files.readAllBytes(target));
        List<RecordedRequest> gets = hub.requests(HubStandIn.CDN);
        assertEquals(2, gets.size(), gets.toString());
        assertFalse(gets.get(0).header("Range").isPresent());
        String range = gets.get(1).header("Range").orElseThrow();
        long resumedAt = Long.parseLong(range.replaceAll("bytes=(\\d+)-", "$1"));
        assertTrue(resumedAt > 0 && resumedAt <= 100_000, "resumed after the bytes received: " + range);
        assertEquals(206, gets.get(1).status());
    }

    @Test
    void serverIgnoringRangeMakesTheDownloadRestartFromTheStart() throws Exception {
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        hub.setIgnoreRange(true);
        hub.cutNextBodies(1, 100_000);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");

        client.download(TestModels.main(), MODEL, meta, target, null);

        assertArrayEquals(model.content(), Files.readAllBytes(target), "the 200 body was not appended to the prefix");
        List<RecordedRequest> gets = hub.requests(HubStandIn.CDN);
        assertEquals(2, gets.size());
        assertTrue(gets.get(1).header("Range").isPresent());
        assertEquals(200, gets.get(1).status());
    }

    @Test
    void unwritableCacheThrowsCacheWriteExceptionNamingThePath() throws Exception {
        // Tests run as root here, where permissions do not stop writes: a file where a folder must go does.
        Path notADirectory = Files.writeString(cacheDir.resolve("cache-is-a-file"), "x");

        CacheWriteException e = assertThrows(CacheWriteException.class,
                () -> TestModels.fetcher(notADirectory, hub.endpoint()).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.getMessage().startsWith("Cannot write to the model cache at " + notADirectory), e.getMessage());
        assertTrue(e.getMessage().contains("MODEL_CACHE_DIR"), e.getMessage());
        assertTrue(e.getCause() instanceof java.io.IOException);
        assertFalse(e.retryable());
    }

    @Test
    void fetchThroughCutConnectionsEndsWithCorrectBlobs() throws Exception {
        hub.cutNextBodies(3, 20_000);

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        for (String name : ECAPA.required()) {
            assertArrayEquals(hub.file(REPO, name).content(), Files.readAllBytes(snapshot.file(name)), name);
        }
        assertTrue(hub.requests().stream().anyMatch(r -> r.header("Range").isPresent()), "a Range request was made");
        assertNoTempFiles();
    }

    @Test
    void wrongBytesOnceAreDownloadedAgainAndNeverStoredUnderTheFinalName() throws Exception {
        hub.corruptNextBodies(1);

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        assertArrayEquals(hub.file(REPO, "hyperparams.yaml").content(), Files.readAllBytes(snapshot.file("hyperparams.yaml")));
        long yamlGets = hub.requests().stream()
                .filter(r -> r.method().equals("GET") && r.path().endsWith("/hyperparams.yaml")).count();
        assertEquals(2, yamlGets, "the first, wrong, body was rejected and fetched again");
        assertNoTempFiles();
    }

    @Test
    void wrongBytesEveryTimeEndInDownloadVerificationExceptionWithNothingStored() throws Exception {
        hub.corruptNextBodies(1000);

        DownloadVerificationException e = assertThrows(DownloadVerificationException.class,
                () -> TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.getMessage().contains("hyperparams.yaml"), e.getMessage());
        assertTrue(e.getMessage().contains("4 times"), "1 try + 3 retries: " + e.getMessage());
        assertTrue(e.getMessage().contains(hub.endpoint().getHost()), "names the URL: " + e.getMessage());
        assertFalse(e.retryable());
        assertEquals(List.of(), TestModels.tree(repoDir.resolve("blobs")), "no blob, no temp file");
        assertFalse(Files.exists(repoDir.resolve("refs/main")));
        assertEquals(4, hub.requests().stream().filter(r -> r.method().equals("GET")).count());
    }

    @Test
    void leftoversOfAKilledDownloadAreNotTakenForComplete() throws Exception {
        TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);
        Path blob = repoDir.resolve("blobs").resolve(model.etag());
        // A killed downloader of ours left its temp file, huggingface_hub left its own, and a crash without
        // atomic rename would have left a truncated blob under the final name.
        Path ourLeftover = repoDir.resolve("blobs").resolve(model.etag() + ".4242-1f2e3d.incomplete");
        Path theirLeftover = repoDir.resolve("blobs").resolve(model.etag() + ".incomplete");
        Files.write(ourLeftover, Arrays.copyOf(model.content(), 1000));
        Files.write(theirLeftover, Arrays.copyOf(model.content(), 2000));
        Files.setLastModifiedTime(ourLeftover, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Files.write(blob, Arrays.copyOf(model.content(), 5000));
        hub.clearRequests();

        HubCache cache = new HubCache(cacheDir);
        CachedSnapshot present = cache.find(TestModels.main(), ECAPA).orElseThrow();
        CorruptCacheException corrupt = assertThrows(CorruptCacheException.class, () -> cache.verify(present));
        assertEquals(MODEL, corrupt.fileName());

        CachedSnapshot repaired = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        assertArrayEquals(model.content(), Files.readAllBytes(repaired.file(MODEL)));
        assertEquals(1, hub.requests(HubStandIn.CDN).size());
        assertFalse(hub.requests(HubStandIn.CDN).get(0).header("Range").isPresent(), "no resume from a leftover");
        assertFalse(Files.exists(ourLeftover), "our stale temp file is cleaned up");
        assertTrue(Files.exists(theirLeftover), "huggingface_hub's .incomplete is left for it to resume");
    }

    @Test
    void twoServerErrorsThenSuccess() throws Exception {
        hub.failNext(2, 500);

        CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

        assertEquals(commit, snapshot.commit());
        List<Integer> statuses = hub.requests().stream().map(RecordedRequest::status).collect(Collectors.toList());
        assertEquals(List.of(500, 500, 200), statuses.subList(0, 3), statuses.toString());
    }

    @Test
    void rateLimitRetryAfterIsHonoured() throws Exception {
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
        hub.failNextWith429(1, 1);

        long start = System.nanoTime();
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(model.etag(), meta.etag());
        assertTrue(took.toMillis() >= 950, "waited the second the Hub asked for: " + took.toMillis() + " ms");
        assertEquals(List.of(429, 302), hub.requests().stream().map(RecordedRequest::status).collect(Collectors.toList()));
    }

    @Test
    void retryAfterIsCappedByRetryMaxDelay() throws Exception {
        HubSettings settings = TestModels.settings(hub.endpoint()).withRetries(3, Duration.ofMillis(10), Duration.ofMillis(200));
        hub.failNextWith429(1, 3600);

        long start = System.nanoTime();
        new HubClient(settings).head(TestModels.main(), MODEL);

        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 2000);
    }

    @Test
    void exhaustedRetriesThrowRetryableHubUnavailable() {
        hub.failNext(100, 503);

        HubUnavailableException e = assertThrows(HubUnavailableException.class,
                () -> TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("4 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        assertTrue(e.getMessage().contains("/" + REPO + "/resolve/main/hyperparams.yaml"), e.getMessage());
        assertEquals(4, hub.requestCount(), "1 try + 3 retries");
    }

    @Test
    void hubDownAndNothingCachedThrowsHubUnavailable() {
        hub.stop();

        HubUnavailableException e = assertThrows(HubUnavailableException.class,
                () -> TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("ConnectException"), e.getMessage());
    }

    @Test
    void stalledBodyTimesOutInsteadOfHanging() throws Exception {
        HubSettings base = TestModels.settings(hub.endpoint());
        HubSettings settings = new HubSettings(base.endpoint(), base.token(), base.connectTimeout(),
                Duration.ofMillis(300), 1, base.progressInterval(), base.retryBaseDelay(), base.retryMaxDelay());
        HubClient client = new HubClient(settings);
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        hub.setSlowdown(Duration.ofSeconds(3), 1024);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");

        long start = System.nanoTime();
        HubUnavailableException e = assertThrows(HubUnavailableException.class,
                () -> client.download(TestModels.main(), MODEL, meta, target, null));

        assertTrue(e.getMessage().contains("SocketTimeoutException"), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 2500, "gave up after ~2 x 300 ms");
    }

    @Test
    void slowButSteadyBodyLongerThanTheReadTimeoutCompletes() throws Exception {
        HubSettings base = TestModels.settings(hub.endpoint());
        HubSettings settings = new HubSettings(base.endpoint(), base.token(), base.connectTimeout(),
                Duration.ofMillis(400), 0, base.progressInterval(), base.retryBaseDelay(), base.retryMaxDelay());
        HubClient client = new HubClient(settings);
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        hub.setSlowdown(Duration.ofMillis(40), 16 * 1024);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");

        long start = System.nanoTime();
        client.download(TestModels.main(), MODEL, meta, target, null);

        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() > 600, "the body took longer than the timeout");
        assertArrayEquals(model.content(), Files.readAllBytes(target));
        assertEquals(1, hub.requests(HubStandIn.CDN).size(), "no retry was needed");
    }

    @Test
    void resumesFromAGivenPrefixAfterHashingIt() throws Exception {
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");
        Files.write(target, Arrays.copyOf(model.content(), 123_456));
        hub.clearRequests();

        client.download(TestModels.main(), MODEL, meta, target, null);

        assertArrayEquals(model.content(), Files.readAllBytes(target));
        assertEquals("bytes=123456-", hub.requests(HubStandIn.CDN).get(0).header("Range").orElseThrow());
    }

    @Test
    void resumedPrefixWithWrongBytesIsCaughtAndDownloadedAgain() throws Exception {
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
        FileMetadata meta = client.head(TestModels.main(), MODEL);
        Path target = Files.createTempFile(cacheDir, "download", ".tmp");
        byte[] prefix = Arrays.copyOf(model.content(), 50_000);
        prefix[10] ^= 1;
        Files.write(target, prefix);

        client.download(TestModels.main(), MODEL, meta, target, null);

        assertArrayEquals(model.content(), Files.readAllBytes(target));
        List<RecordedRequest> gets = hub.requests(HubStandIn.CDN);
        assertEquals("bytes=50000-", gets.get(0).header("Range").orElseThrow());
        assertFalse(gets.get(1).header("Range").isPresent(), "the second attempt starts from scratch");
    }

    private void assertNoTempFiles() throws Exception {
        List<String> leftovers = TestModels.tree(cacheDir).stream()
                .filter(p -> p.endsWith(".incomplete") || p.contains(".tmp-")).collect(Collectors.toList());
        assertEquals(List.of(), leftovers);
    }
}
