package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.ECAPA;
import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentDownloadTest {
    @TempDir
    Path cacheDir;

    private HubStandIn hub;
    private String commit;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        commit = hub.addRepo(REPO, null, TestModels.ecapaFiles(33), false);
        // slow enough for the downloaders to overlap: ~0.4 s for the big file
        hub.setSlowdown(Duration.ofMillis(10), 8 * 1024);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void twoThreadsOnOneEmptyCacheBothFinishWithOneCorrectCopy() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<CachedSnapshot>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ModelFetcher fetcher = TestModels.fetcher(cacheDir, hub.endpoint());
                results.add(pool.submit(() -> {
                    start.await();
                    return fetcher.ensure(TestModels.main(), ECAPA, false);
                }));
            }
            start.countDown();
            for (Future<CachedSnapshot> result : results) {
                assertEquals(commit, result.get(30, TimeUnit.SECONDS).commit());
            }
        } finally {
            pool.shutdownNow();
        }

        assertOneCorrectCopy();
        assertEachBlobDownloadedOnce();
    }

    @Test
    void threadsAndASecondJvmOnOneEmptyCacheAllFinishWithOneCorrectCopy() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ConcurrentFetchMain.class.getName(), cacheDir.toString(), hub.endpoint().toString(), REPO)
                .redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            Future<?> drain = pool.submit(() -> {
                reader.lines().forEach(line -> {
                    synchronized (output) {
                        output.add(line);
                        output.notifyAll();
                    }
                });
                return null;
            });
            synchronized (output) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!output.contains("READY") && process.isAlive() && System.nanoTime() < deadline) {
                    output.wait(100);
                }
            }
            List<Future<CachedSnapshot>> results = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ModelFetcher fetcher = TestModels.fetcher(cacheDir, hub.endpoint());
                results.add(pool.submit(() -> fetcher.ensure(TestModels.main(), ECAPA, false)));
            }
            for (Future<CachedSnapshot> result : results) {
                assertEquals(commit, result.get(60, TimeUnit.SECONDS).commit());
            }
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "second JVM finished");
            drain.get(10, TimeUnit.SECONDS);
        } finally {
            process.destroyForcibly();
            pool.shutdownNow();
        }
        assertEquals(0, process.exitValue(), String.join("\n", output));
        assertTrue(output.contains("OK " + commit), String.join("\n", output));

        assertOneCorrectCopy();
        assertEachBlobDownloadedOnce();
    }

    private void assertOneCorrectCopy() throws Exception {
        Path repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
        List<String> blobs = TestModels.tree(repoDir.resolve("blobs"));
        List<String> expected = ECAPA.required().stream().map(f -> hub.file(REPO, f).etag()).sorted()
                .collect(Collectors.toList());
        assertEquals(expected, blobs, "one blob per file, no temp file left");
        for (String file : ECAPA.required()) {
            HubStandIn.RepoFile repoFile = hub.file(REPO, file);
            assertArrayEquals(repoFile.content(), Files.readAllBytes(repoDir.resolve("blobs").resolve(repoFile.etag())));
            assertEquals(Path.of("../../blobs/" + repoFile.etag()),
                    Files.readSymbolicLink(repoDir.resolve("snapshots").resolve(commit).resolve(file)));
        }
        assertEquals(commit, Files.readString(repoDir.resolve("refs/main")));
        assertTrue(TestModels.tree(repoDir).stream().noneMatch(p -> p.contains(".tmp-")), TestModels.tree(repoDir).toString());
    }

    /** The per-blob lock made the others wait and find the blob, rather than download it again. */
    private void assertEachBlobDownloadedOnce() {
        for (String file : ECAPA.required()) {
            HubStandIn.RepoFile repoFile = hub.file(REPO, file);
            long gets = hub.requests().stream()
                    .filter(r -> r.method().equals("GET") && r.path().contains(repoFile.lfs() ? repoFile.sha256() : "/" + file))
                    .count();
            assertEquals(1, gets, file + " downloaded once");
        }
    }
}
