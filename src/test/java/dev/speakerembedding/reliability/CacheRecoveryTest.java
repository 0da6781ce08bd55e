package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.HubUnavailableException;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.lifecycle.LifecycleState;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelManager;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product fixes the reliability suite led to, each pinned by a fast test without a server:
 *
 * <ul>
 *   <li>a download interrupted by a kill (or by the network, after the retries) is resumed by the next attempt from
 *       its partial file, instead of starting again and leaving that file behind (found by
 *       {@link KillDuringDownloadScenario}'s crash loop: five kills left five partial files, 99 MB, and the checkpoint
 *       was downloaded 2.3 times);
 *   <li>a cache that cannot be written (disk full) and a converted graph that cannot be written are retried with
 *       backoff, so the service recovers once there is room (found by {@link DiskFaultScenario}: it stayed FAILED).
 * </ul>
 */
class CacheRecoveryTest {

    private static final RepoRef REF = new RepoRef(Fixtures.SMALL_REPO, "main");

    @TempDir
    Path tmp;

    private static HubSettings settings(URI endpoint, int retries) {
        return new HubSettings(endpoint, Secret.none(), Duration.ofSeconds(2), Duration.ofSeconds(5), retries,
                Duration.ZERO, Duration.ofMillis(10), Duration.ofMillis(50));
    }

    @Test
    void partialFileOfAKilledDownloadIsResumedAndNothingIsLeftBehind() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, Fixtures.smallModel());
            HubStandIn.RepoFile ckpt = hub.file(REF.repoId(), "embedding_model.ckpt");
            Path blobs = tmp.resolve("cache").resolve(Fixtures.smallModel().cacheFolder()).resolve("blobs");
            Files.createDirectories(blobs);
            // What a process killed at 300 KB leaves: its own temp name, a fresh modification time.
            Files.write(blobs.resolve(ckpt.etag() + ".4242-1f2e3d.incomplete"), Arrays.copyOf(ckpt.content(), 300_000));
            // A smaller leftover of an earlier crash and huggingface_hub's own file are not the best prefix.
            Files.write(blobs.resolve(ckpt.etag() + ".4141-abcdef.incomplete"), Arrays.copyOf(ckpt.content(), 1000));
            // What a kill right after creating the temp file leaves.
            Files.write(blobs.resolve(ckpt.etag() + ".4343-012345.incomplete"), new byte[0]);
            Files.write(blobs.resolve(ckpt.etag() + ".incomplete"), Arrays.copyOf(ckpt.content(), 500_000));

            new ModelFetcher(new HubCache(tmp.resolve("cache")), new HubClient(settings(hub.endpoint(), 1)),
                    DownloadListener.none()).ensure(REF, Fixtures.FORMAT, false);

            List<HubStandIn.RecordedRequest> gets = hub.requests(HubStandIn.CDN).stream()
                    .filter(r -> r.path().contains(ckpt.sha256())).toList();
            assertEquals(1, gets.size());
            assertEquals("bytes=300000-", gets.get(0).header("Range").orElseThrow(), "resumed after the leftover's bytes");
            assertArrayEquals(ckpt.content(), Files.readAllBytes(blobs.resolve(ckpt.etag())));
            assertEquals(List.of(ckpt.etag(), ckpt.etag() + ".incomplete"),
                    names(blobs).stream().filter(n -> n.startsWith(ckpt.etag())).toList(),
                    "the resumed leftover became the blob; the other leftovers of ours (dead, since the lock was"
                            + " held) are gone, and huggingface_hub's own is left to it");
        }
    }

    @Test
    void partialFileOfADownloadThatLostTheNetworkIsResumedByTheNextAttempt() throws Exception {
        Path cache = tmp.resolve("cache");
        HubStandIn hub = HubStandIn.start();
        Fixtures.serve(hub, Fixtures.smallModel());
        HubStandIn.RepoFile ckpt = hub.file(REF.repoId(), "embedding_model.ckpt");
        hub.setSlowdown(Duration.ofMillis(20), 16 * 1024);
        // The Hub goes away in the middle of the checkpoint.
        DownloadListener pullThePlug = new DownloadListener() {
            @Override
            public void progress(String file, long done, long total, double bytesPerSecond) {
                if (file.equals("embedding_model.ckpt") && done > 200_000) {
                    hub.stop();
                }
            }
        };
        try {
            assertThrows(HubUnavailableException.class, () -> new ModelFetcher(new HubCache(cache),
                    new HubClient(settings(hub.endpoint(), 1)), pullThePlug).ensure(REF, Fixtures.FORMAT, false));
        } finally {
            hub.close();
        }
        Path blobs = cache.resolve(Fixtures.smallModel().cacheFolder()).resolve("blobs");
        long kept = KillDuringDownloadScenario.largestTemp(blobs, ckpt.etag(), null);
        assertTrue(kept > 200_000, "the partial file is kept for a resume: " + kept);

        try (HubStandIn back = HubStandIn.start()) {
            Fixtures.serve(back, Fixtures.smallModel());
            new ModelFetcher(new HubCache(cache), new HubClient(settings(back.endpoint(), 1)), DownloadListener.none())
                    .ensure(REF, Fixtures.FORMAT, false);
            assertEquals("bytes=" + kept + "-", back.requests(HubStandIn.CDN).stream()
                    .filter(r -> r.path().contains(ckpt.sha256())).findFirst().orElseThrow().header("Range").orElseThrow());
        }
        assertEquals(-1, KillDuringDownloadScenario.largestTemp(blobs, ckpt.etag(), null), "nothing partial remains");
        assertArrayEquals(ckpt.content(), Files.readAllBytes(blobs.resolve(ckpt.etag())));
    }

    @Test
    void unwritableCacheIsRetriedAndTheServiceRecoversOnceItCanWrite() throws Exception {
        Path cache = tmp.resolve("cache");
        // A file where the blobs directory must go fails every write, as a full or read-only volume does.
        Path blobs = cache.resolve(Fixtures.smallModel().cacheFolder()).resolve("blobs");
        Files.createDirectories(blobs.getParent());
        Files.writeString(blobs, "in the way");
        try (HubStandIn hub = HubStandIn.start(); ModelManager m = manager(hub, cache, tmp.resolve("onnx"))) {
            Fixtures.serve(hub, Fixtures.smallModel());
            m.start();
            LifecycleStatus waiting = await(m, s -> s.state() == LifecycleState.WAITING_TO_RETRY && s.attempts() >= 2);
            assertTrue(waiting.lastError().contains("Cannot write to the model cache"), waiting.lastError());
            Files.delete(blobs);
            await(m, s -> s.state() == LifecycleState.READY);
        }
    }

    @Test
    void unwritableConvertedGraphIsRetriedAndTheServiceRecoversOnceItCanWrite() throws Exception {
        Path onnx = tmp.resolve("onnx");
        Files.writeString(onnx, "in the way");
        try (HubStandIn hub = HubStandIn.start(); ModelManager m = manager(hub, tmp.resolve("cache"), onnx)) {
            Fixtures.serve(hub, Fixtures.smallModel());
            m.start();
            LifecycleStatus waiting = await(m, s -> s.state() == LifecycleState.WAITING_TO_RETRY && s.attempts() >= 2);
            assertTrue(waiting.lastError().contains("file system error"), waiting.lastError());
            Files.delete(onnx);
            await(m, s -> s.state() == LifecycleState.READY);
        }
    }

    private static ModelManager manager(HubStandIn hub, Path cache, Path onnx) {
        HubCache hubCache = new HubCache(cache);
        HubClient client = new HubClient(settings(hub.endpoint(), 1));
        ModelManager.Settings s = new ModelManager.Settings(REF, Fixtures.FORMAT, false, Duration.ofMillis(100),
                Duration.ofMillis(200), Duration.ofMinutes(10));
        return new ModelManager(s, hubCache, listener -> new ModelFetcher(hubCache, client, listener),
                snapshot -> new SpeakerEmbedder(EcapaModel.load(snapshot.snapshotDir(), onnx, ModelRuntimeOptions.defaults())));
    }

    private static LifecycleStatus await(ModelManager m, Predicate<LifecycleStatus> condition) throws Exception {
        assertTrue(Fixtures.poll(() -> condition.test(m.status()), Duration.ofSeconds(60)), "state " + m.status());
        return m.status();
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
