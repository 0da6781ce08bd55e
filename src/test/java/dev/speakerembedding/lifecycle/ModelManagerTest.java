package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lifecycle's state machine, in process, with the Hub stand-in and the small conformance model. */
class ModelManagerTest {

    private static final String REPO = "conformance/ecapa-small";

    @TempDir
    Path tmp;

    private ModelManager manager(HubStandIn hub, Path cache, boolean offline) throws Exception {
        return manager(hub, cache, offline, Duration.ofMinutes(10),
                snapshot -> new SpeakerEmbedder(EcapaModel.load(snapshot.snapshotDir(), tmp.resolve("onnx"),
                        ModelRuntimeOptions.defaults())));
    }

    private ModelManager manager(HubStandIn hub, Path cache, boolean offline, Duration stallTimeout,
                                 ModelManager.Loader loader) throws Exception {
        HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(2),
                Duration.ofSeconds(5), 1, Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMillis(50));
        HubCache hubCache = new HubCache(cache);
        HubClient client = offline ? null : new HubClient(settings);
        ModelManager.Settings s = new ModelManager.Settings(RepoRef.of(REPO, "main"), Components.REPO_FILES,
                offline, Duration.ofMillis(100), Duration.ofMillis(200), stallTimeout);
        return new ModelManager(s, hubCache, listener -> new ModelFetcher(hubCache, client, listener), loader);
    }

    private static LifecycleStatus await(ModelManager m, Predicate<LifecycleStatus> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            LifecycleStatus s = m.status();
            if (condition.test(s)) {
                return s;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("condition not reached; last status " + m.status());
    }

    @Test
    void downloadsLoadsAndReportsReadyWithCommitAndLoadTime() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            String commit = hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false)) {
                assertEquals(LifecycleState.STARTING, m.status().state());
                assertFalse(m.modelCached());
                m.start();
                LifecycleStatus s = await(m, st -> st.state() == LifecycleState.READY);
                assertEquals(commit, s.commit());
                assertNull(s.lastError());
                assertNotNull(s.loadedAt());
                assertTrue(m.embedder().isPresent());
                assertEquals(32, m.embedder().get().dimension());
                assertTrue(m.modelCached());
                assertTrue(m.health().live());
            }
        }
    }

    @Test
    void offlineWithoutCacheWaitsWithTheSeedMessageThenLoadsWhenTheCacheIsFilled() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            Path cache = tmp.resolve("cache");
            try (ModelManager m = manager(hub, cache, true)) {
                m.start();
                LifecycleStatus s = await(m, st -> st.state() == LifecycleState.WAITING_TO_RETRY);
                assertTrue(s.lastError().startsWith("Model not cached and offline mode is enabled"), s.lastError());
                assertNotNull(s.nextRetryAt());
                assertTrue(m.embedder().isEmpty());
                assertEquals(0, hub.requestCount(), "offline: no request at all");
                // Another process fills the cache.
                new ModelFetcher(new HubCache(cache), new HubClient(new HubSettings(hub.endpoint(), Secret.none(),
                        Duration.ofSeconds(2), Duration.ofSeconds(5), 1, Duration.ofSeconds(1))), DownloadListener.none())
                        .ensure(RepoRef.of(REPO, "main"), Components.REPO_FILES, false);
                await(m, st -> st.state() == LifecycleState.READY);
            }
        }
    }

    @Test
    void unreachableHubIsRetriedWithRemedyAndRecoversByItself() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            hub.failNext(10_000, 503);
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false)) {
                m.start();
                LifecycleStatus s = await(m, st -> st.state() == LifecycleState.WAITING_TO_RETRY);
                assertTrue(s.lastError().contains("HF_ENDPOINT"), "says how to provide a model: " + s.lastError());
                await(m, st -> st.attempts() >= 2);
                hub.clearFaults();
                await(m, st -> st.state() == LifecycleState.READY);
            }
        }
    }

    @Test
    void unknownRepositoryFailsWithoutRetrying() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false)) {
                m.start();
                LifecycleStatus s = await(m, st -> st.state() == LifecycleState.FAILED);
                assertTrue(s.lastError().contains("EMBEDDING_MODEL"), s.lastError());
                int requests = hub.requestCount();
                Thread.sleep(400);
                assertEquals(requests, hub.requestCount(), "no further attempts after a permanent failure");
                assertTrue(m.health().live(), "a permanent failure is not a reason for liveness to fail");
            }
        }
    }

    @Test
    void backoffDoublesUpToTheCapWithJitter() throws Exception {
        try (HubStandIn hub = HubStandIn.start(); ModelManager m = manager(hub, tmp.resolve("cache"), true)) {
            for (int attempt = 1; attempt <= 30; attempt++) {
                long expected = Math.min(200, 100L << Math.min(20, attempt - 1));
                long ms = m.backoff(attempt).toMillis();
                assertTrue(ms >= expected * 0.8 - 1 && ms <= expected * 1.2 + 1, "attempt " + attempt + ": " + ms);
            }
        }
    }

    @Test
    void closeStopsTheWorkerAndReleasesTheModel() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            ModelManager m = manager(hub, tmp.resolve("cache"), false);
            m.start();
            await(m, st -> st.state() == LifecycleState.READY);
            m.close();
            assertEquals(LifecycleState.STOPPED, m.status().state());
            assertTrue(m.embedder().isEmpty());
        }
    }

    /** A loader that fails as {@code failure} does, counting its calls. */
    private static ModelManager.Loader failing(Throwable failure, AtomicInteger calls) {
        return snapshot -> {
            calls.incrementAndGet();
            if (failure instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) failure;
        };
    }

    @Test
    void nativeLibraryThatCannotLoadFailsOnceWithItsCauseAndStaysLive() throws Exception {
        for (Throwable linkage : new Throwable[] {
                new UnsatisfiedLinkError("/tmp/onnxruntime-java123/libonnxruntime.so: failed to map segment"),
                new NoClassDefFoundError("Could not initialize class ai.onnxruntime.OnnxRuntime"),
                new ExceptionInInitializerError("static initialiser failed")}) {
            try (HubStandIn hub = HubStandIn.start()) {
                hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
                AtomicInteger calls = new AtomicInteger();
                try (ModelManager m = manager(hub, tmp.resolve("cache-" + calls.hashCode()), false,
                        Duration.ofMinutes(10), failing(linkage, calls))) {
                    m.start();
                    LifecycleStatus s = await(m, st -> st.state() == LifecycleState.FAILED);
                    assertTrue(s.lastError().contains(linkage.getClass().getName()), s.lastError());
                    assertTrue(s.lastError().contains("noexec"), "says what to check: " + s.lastError());
                    Thread.sleep(500);
                    assertEquals(1, calls.get(), linkage + ": retrying in process cannot succeed");
                    assertEquals(LifecycleState.FAILED, m.status().state());
                    assertTrue(m.health().live(), linkage + ": a restart of the same image repeats it");
                    assertTrue(m.embedder().isEmpty());
                }
            }
        }
    }

    @Test
    void jvmFailureWhileLoadingTurnsLivenessDown() throws Exception {
        for (Throwable vmError : new Throwable[] {new OutOfMemoryError("Java heap space"),
                new InternalError("simulated JIT failure"), new StackOverflowError()}) {
            try (HubStandIn hub = HubStandIn.start()) {
                hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
                AtomicInteger calls = new AtomicInteger();
                try (ModelManager m = manager(hub, tmp.resolve("cache-vm-" + calls.hashCode()), false,
                        Duration.ofMinutes(10), failing(vmError, calls))) {
                    m.start();
                    LifecycleStatus s = await(m, st -> st.state() == LifecycleState.FAILED);
                    assertTrue(s.lastError().contains(vmError.getClass().getName()), s.lastError());
                    ModelManager.WorkerHealth health = m.health();
                    assertFalse(health.live(), vmError + ": a new process can succeed");
                    assertTrue(health.reason().contains("restart"), health.reason());
                    Thread.sleep(500);
                    assertEquals(1, calls.get(), "no further attempt in a JVM that failed");
                }
            }
        }
    }

    @Test
    void unexpectedRuntimeExceptionIsRetriedAndRecovers() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            AtomicInteger calls = new AtomicInteger();
            ModelManager.Loader real = snapshot -> new SpeakerEmbedder(EcapaModel.load(snapshot.snapshotDir(),
                    tmp.resolve("onnx"), ModelRuntimeOptions.defaults()));
            ModelManager.Loader flaky = snapshot -> {
                if (calls.incrementAndGet() <= 2) {
                    throw new IllegalStateException("transient");
                }
                return real.load(snapshot);
            };
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false, Duration.ofMinutes(10), flaky)) {
                m.start();
                LifecycleStatus waiting = await(m, st -> st.state() == LifecycleState.WAITING_TO_RETRY);
                assertTrue(waiting.lastError().contains("transient"), waiting.lastError());
                assertTrue(m.health().live());
                await(m, st -> st.state() == LifecycleState.READY);
                assertEquals(3, calls.get());
                assertTrue(m.health().live());
            }
        }
    }

    @Test
    void wedgedAttemptTurnsLivenessDownAfterTheStallTimeout() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            CountDownLatch release = new CountDownLatch(1);
            ModelManager.Loader hangs = snapshot -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("released");
            };
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false, Duration.ofMillis(300), hangs)) {
                m.start();
                await(m, st -> st.state() == LifecycleState.LOADING);
                assertTrue(m.health().live(), "within the stall timeout");
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (m.health().live() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                ModelManager.WorkerHealth health = m.health();
                assertFalse(health.live(), "wedged in LOADING");
                assertTrue(health.reason().contains("no progress") && health.reason().contains("LOADING"),
                        health.reason());
                release.countDown();
                // The attempt ends (with a retryable failure): progress again, so live again.
                await(m, st -> st.state() == LifecycleState.WAITING_TO_RETRY);
                assertTrue(m.health().live(), "sleeping until the next attempt is not a stall");
            }
        }
    }

    @Test
    void waitingLongerThanTheStallTimeoutForTheNextAttemptIsNotAStall() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(2),
                    Duration.ofSeconds(5), 1, Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMillis(50));
            HubCache hubCache = new HubCache(tmp.resolve("cache"));
            ModelManager.Settings s = new ModelManager.Settings(RepoRef.of(REPO, "main"),
                    Components.REPO_FILES, true, Duration.ofSeconds(2), Duration.ofSeconds(2),
                    Duration.ofMillis(200));
            try (ModelManager m = new ModelManager(s, hubCache, listener -> new ModelFetcher(hubCache,
                    new HubClient(settings), listener), snapshot -> {
                        throw new AssertionError("offline without cache: never loads");
                    })) {
                m.start();
                await(m, st -> st.state() == LifecycleState.WAITING_TO_RETRY);
                Thread.sleep(1000);
                assertEquals(LifecycleState.WAITING_TO_RETRY, m.status().state());
                assertTrue(m.health().live(), "a 2 s backoff with a 0.2 s stall timeout: " + m.health().reason());
            }
        }
    }

    @Test
    void readyModelAndItsStatusAreReadAsOneValue() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            try (ModelManager m = manager(hub, tmp.resolve("cache"), false)) {
                assertTrue(m.serving().isEmpty());
                m.start();
                await(m, st -> st.state() == LifecycleState.READY);
                ModelManager.Serving serving = m.serving().orElseThrow();
                assertEquals(LifecycleState.READY, serving.status().state());
                assertNotNull(serving.status().commit());
                assertNotNull(serving.status().loadedAt());
                assertEquals(32, serving.embedder().dimension());
            }
        }
    }

    @Test
    void aSlowDownloadIsProgressEvenWhenItsLogLinesAreRare() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.addRepo(REPO, null, Npy.conformanceDir().resolve("small"), false);
            // A piece every 100 ms, a log line at most once a minute, and a 2 s stall timeout.
            hub.setSlowdown(Duration.ofMillis(100), 4096);
            HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(2),
                    Duration.ofSeconds(5), 1, Duration.ofSeconds(60), Duration.ofMillis(10), Duration.ofMillis(50));
            HubCache hubCache = new HubCache(tmp.resolve("cache"));
            ModelManager.Settings s = new ModelManager.Settings(RepoRef.of(REPO, "main"), Components.REPO_FILES,
                    false, Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(2));
            try (ModelManager m = new ModelManager(s, hubCache, listener -> new ModelFetcher(hubCache,
                    new HubClient(settings), listener), snapshot -> new SpeakerEmbedder(EcapaModel.load(
                            snapshot.snapshotDir(), tmp.resolve("onnx"), ModelRuntimeOptions.defaults())))) {
                m.start();
                int checks = 0;
                while (m.status().state() != LifecycleState.READY) {
                    assertTrue(m.health().live(), "state " + m.status().state() + ": " + m.health().reason());
                    checks++;
                    Thread.sleep(50);
                    assertTrue(checks < 2400, "not ready within 2 minutes: " + m.status());
                }
                assertTrue(checks > 20, "the download took a while (" + checks + " checks)");
            }
        }
    }
}
