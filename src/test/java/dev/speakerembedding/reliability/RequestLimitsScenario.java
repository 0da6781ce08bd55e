package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Item 7 of the reliability issue (long suite), against one server with tight limits (one inference at a time, two
 * waiting, a 2 s queue timeout): requests over MAX_REQUEST_BYTES, clients that trickle their upload a byte a
 * second, more concurrent clients than the limit, many large uploads at once, and the JDK's own HTTP client
 * (which asks for h2c) sending concurrently. Each must be refused quickly or served, the server must keep
 * answering others meanwhile, and its resident memory must stay bounded (sampled every 100 ms).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RequestLimitsScenario {

    private static final long LIMIT = 32L << 20;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static Path tmp;
    private static Fixtures.Reference reference;
    private static final HttpClient HTTP11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startServer() throws Exception {
        tmp = Files.createTempDirectory("reliability-limits");
        hub = HubStandIn.start();
        Fixtures.serve(hub, Fixtures.smallModel());
        reference = Fixtures.Reference.of("speech_espeak_en");
        Map<String, String> env = Fixtures.with(Fixtures.env(hub.endpoint(), tmp.resolve("cache"), Fixtures.smallModel()),
                "MAX_CONCURRENT_INFERENCES", "1", "MAX_QUEUED_REQUESTS", "2", "QUEUE_TIMEOUT_MS", "2000",
                "MAX_REQUEST_BYTES", Long.toString(LIMIT));
        server = Fixtures.startReady(env, tmp.resolve("server"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    /** Samples the server's RSS every 100 ms while a scenario runs; keeps the peak. */
    private static final class MemoryProbe implements AutoCloseable {
        final long before = ProcessMemory.rssKb(server);
        final AtomicLong peak = new AtomicLong(before);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread = new Thread(() -> {
            while (!stop.get()) {
                long rss = ProcessMemory.rssKb(server);
                peak.accumulateAndGet(rss, Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        MemoryProbe() {
            thread.setDaemon(true);
            thread.start();
        }

        String summary() {
            return "resident memory before " + ProcessMemory.mb(before) + ", peak " + ProcessMemory.mb(peak.get())
                    + ", after " + ProcessMemory.mb(ProcessMemory.rssKb(server));
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    @Test
    @Order(1)
    void requestsOverTheLimitAreRefusedBeforeTheirBodyIsRead() throws Exception {
        Report report = new Report("item7-oversized");
        List<String> problems = new ArrayList<>();
        byte[] chunk = new byte[1 << 20];
        try (MemoryProbe memory = new MemoryProbe()) {
            for (long size : new long[] {LIMIT + 1, 100L << 20, 1L << 30}) {
                // Declared size over the limit: the answer must come before the client has sent (much of) the body.
                RawHttp.Answer a = RawHttp.exchange(server.httpPort(), RawHttp.postHead("/v1/embeddings",
                        "Content-Type: audio/wav", "Content-Length: " + size), (out, in, socket) -> {
                            long sent = 0;
                            while (sent < size && !RawHttp.answered(in)) {
                                int n = (int) Math.min(chunk.length, size - sent);
                                out.write(chunk, 0, n);
                                sent += n;
                            }
                            return sent;
                        }, Duration.ofSeconds(30));
                report.line("Content-Length %5d MB: %d %s after %d ms, %d MB of the body sent (%s)", size >> 20,
                        a.status(), a.isProblem() ? "problem+json" : "", a.elapsed().toMillis(), a.bytesSent() >> 20, a.how());
                if (a.status() != 413 || a.elapsed().toSeconds() > 5) {
                    problems.add("Content-Length " + size + ": " + a.status() + " after " + a.elapsed().toMillis() + " ms");
                }
            }
            report.line("%s", memory.summary());
        }
        checkStillServing(report, problems);
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    @Test
    @Order(2)
    void slowUploadsAreCutOffAndDoNotStopOthersBeingServed() throws Exception {
        Report report = new Report("item7-slow-uploads");
        List<String> problems = new ArrayList<>();
        int clients = 24;
        Duration patience = Duration.ofSeconds(Integer.getInteger("reliability.slowloris.seconds", 75));
        List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        List<Long> cutAfterMs = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (MemoryProbe memory = new MemoryProbe()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < clients; i++) {
                pool.submit(() -> {
                    // A valid-looking WAV upload of 64 KB, sent one byte a second.
                    try (Socket s = new Socket()) {
                        sockets.add(s);
                        s.connect(new InetSocketAddress("127.0.0.1", server.httpPort()), 5000);
                        OutputStream out = s.getOutputStream();
                        out.write(RawHttp.postHead("/v1/embeddings", "Content-Type: audio/wav", "Content-Length: 65536")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        InputStream in = s.getInputStream();
                        while (System.nanoTime() - t0 < patience.toNanos()) {
                            out.write('R');
                            out.flush();
                            if (in.available() > 0) {
                                break;
                            }
                            Thread.sleep(1000);
                        }
                        cutAfterMs.add(System.nanoTime() - t0 < patience.toNanos()
                                ? (System.nanoTime() - t0) / 1_000_000 : -1);
                    } catch (SocketException e) {
                        cutAfterMs.add((System.nanoTime() - t0) / 1_000_000);
                    } catch (IOException | InterruptedException e) {
                        cutAfterMs.add(-2L);
                    }
                    return null;
                });
            }
            // Meanwhile, normal clients must be served as usual.
            List<Long> latencies = new ArrayList<>();
            Map<String, Integer> normalOutcomes = new TreeMap<>();
            int failures = 0;
            while (System.nanoTime() - t0 < patience.toNanos() && cutAfterMs.size() < clients) {
                long s = System.nanoTime();
                try {
                    HttpResponse<String> r = HTTP11.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                            .timeout(Duration.ofSeconds(20)).header("Content-Type", "audio/wav")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(reference.wav())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        failures++;
                    }
                    normalOutcomes.merge(r.statusCode() + (r.statusCode() == 200 ? "" : " " + Fixtures
                            .jsonObjectOrEmpty(r.body()).map(j -> j.getString("code", "?")).orElse("?")), 1, Integer::sum);
                } catch (IOException e) {
                    failures++; // a timeout: the server had no thread left for this request
                    normalOutcomes.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                }
                latencies.add((System.nanoTime() - s) / 1_000_000);
                Thread.sleep(500);
            }
            pool.shutdown();
            pool.awaitTermination(patience.toSeconds() + 30, TimeUnit.SECONDS);
            Collections.sort(latencies);
            long cut = cutAfterMs.stream().filter(ms -> ms >= 0).count();
            report.line("%d clients sending 1 byte/s: %d cut off by the server (after %s ms), %d still connected after %d s",
                    clients, cut, cutAfterMs.stream().filter(ms -> ms >= 0).sorted().toList(), clients - cut,
                    patience.toSeconds());
            report.line("meanwhile %d normal requests %s: %d failed, median %d ms, max %d ms", latencies.size(),
                    normalOutcomes, failures,
                    latencies.isEmpty() ? -1 : latencies.get(latencies.size() / 2),
                    latencies.isEmpty() ? -1 : latencies.get(latencies.size() - 1));
            report.line("%s", memory.summary());
            if (failures > 0 || latencies.isEmpty() || latencies.get(latencies.size() - 1) > 5000) {
                problems.add("slow uploads disturbed normal requests: " + failures + " failed, max "
                        + (latencies.isEmpty() ? "-" : latencies.get(latencies.size() - 1)) + " ms");
            }
            if (cut < clients) {
                problems.add((clients - cut) + " of " + clients + " clients trickling 1 byte/s were still holding a"
                        + " request after " + patience.toSeconds() + " s: no deadline for a whole upload");
            }
        } finally {
            sockets.forEach(s -> {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
            });
            pool.shutdownNow();
        }
        checkStillServing(report, problems);
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    @Test
    @Order(3)
    void moreConcurrentClientsThanTheLimitAreRefusedQuicklyWithRetryAfter() throws Exception {
        Report report = new Report("item7-concurrency");
        List<String> problems = new ArrayList<>();
        int clients = 32;
        // 60 s of speech-like audio: long enough to keep the single inference slot busy for a while.
        byte[] long60s = WavFuzzer.wav(1, 16, 1, 16000, 60);
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<Long> refusedMs = Collections.synchronizedList(new ArrayList<>());
        List<Long> servedMs = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger withoutRetryAfter = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        try (MemoryProbe memory = new MemoryProbe()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    long s = System.nanoTime();
                    HttpResponse<String> r = HTTP11.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                            .timeout(Duration.ofSeconds(60)).header("Content-Type", "audio/wav")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(long60s)).build(), HttpResponse.BodyHandlers.ofString());
                    long ms = (System.nanoTime() - s) / 1_000_000;
                    String code = r.statusCode() + (r.statusCode() == 200 ? "" : " "
                            + Fixtures.jsonObjectOrEmpty(r.body()).map(j -> j.getString("code", "?")).orElse("?"));
                    outcomes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                    if (r.statusCode() == 503) {
                        refusedMs.add(ms);
                        if (r.headers().firstValue("Retry-After").isEmpty()) {
                            withoutRetryAfter.incrementAndGet();
                        }
                    } else if (r.statusCode() == 200) {
                        servedMs.add(ms);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(120, TimeUnit.SECONDS);
            }
            Collections.sort(refusedMs);
            Collections.sort(servedMs);
            report.line("%d clients at once (1 inference slot, 2 queued, 2 s queue timeout): %s", clients,
                    new TreeMap<>(outcomes));
            report.line("refused answered within: median %d ms, max %d ms; %d refusals without Retry-After",
                    refusedMs.isEmpty() ? -1 : refusedMs.get(refusedMs.size() / 2),
                    refusedMs.isEmpty() ? -1 : refusedMs.get(refusedMs.size() - 1), withoutRetryAfter.get());
            report.line("served in: %s ms", servedMs);
            report.line("%s", memory.summary());
            for (String code : outcomes.keySet()) {
                if (!code.equals("200") && !code.equals("503 saturated")) {
                    problems.add(outcomes.get(code) + " answers " + code);
                }
            }
            if (servedMs.isEmpty() || refusedMs.isEmpty()) {
                problems.add("expected some served and some refused: " + outcomes);
            }
            if (!refusedMs.isEmpty() && refusedMs.get(refusedMs.size() / 2) > 3000) {
                problems.add("refusals are slow: median " + refusedMs.get(refusedMs.size() / 2) + " ms");
            }
            if (withoutRetryAfter.get() > 0) {
                problems.add(withoutRetryAfter.get() + " refusals without Retry-After");
            }
        } finally {
            pool.shutdownNow();
        }
        checkStillServing(report, problems);
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    @Test
    @Order(4)
    void manyLargeUploadsAtOnceKeepMemoryBoundedAndTheServerAlive() throws Exception {
        Report report = new Report("item7-large-uploads");
        List<String> problems = new ArrayList<>();
        int clients = Integer.getInteger("reliability.large.clients", 24);
        // Just under the limit: 30 MB of 16-bit audio (16 minutes), refused as too long only after it is read.
        byte[] big = WavFuzzer.riff(WavFuzzer.fmtChunk(1, 1, 16000, 16), new byte[30 << 20]);
        big[100] = 1; // not digital silence
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        try (MemoryProbe memory = new MemoryProbe()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    String code;
                    try {
                        HttpResponse<String> r = HTTP11.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                                .timeout(Duration.ofSeconds(90)).header("Content-Type", "audio/wav")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
                        code = r.statusCode() + " " + Fixtures.jsonObjectOrEmpty(r.body()).map(j -> j.getString("code", "?"))
                                .orElse("");
                    } catch (IOException e) {
                        code = "connection failed: " + e.getClass().getSimpleName();
                    }
                    outcomes.computeIfAbsent(code.strip(), k -> new AtomicInteger()).incrementAndGet();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(180, TimeUnit.SECONDS);
            }
            report.line("%d clients each uploading 30 MB at once: %s", clients, new TreeMap<>(outcomes));
            report.line("%s (JVM heap limit 768 MB)", memory.summary());
            report.line("server process alive afterwards: %s", server.isAlive());
            for (String code : outcomes.keySet()) {
                if (!code.startsWith("4") && !code.startsWith("503 saturated") && !code.startsWith("200")) {
                    problems.add(outcomes.get(code) + " answers " + code);
                }
            }
            if (!server.isAlive()) {
                problems.add("the server died: " + server.console().lines().filter(l -> l.contains("OutOfMemory"))
                        .findFirst().orElse("(see console.log)"));
            }
        } finally {
            pool.shutdownNow();
        }
        if (server.isAlive()) {
            checkStillServing(report, problems);
        }
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    @Test
    @Order(5)
    void concurrentRequestsFromTheJdkDefaultClientAreAnsweredPromptly() throws Exception {
        Report report = new Report("item7-h2c");
        List<String> problems = new ArrayList<>();
        // A fresh java.net.http client asks for HTTP/2 over cleartext (Upgrade: h2c) on every new connection.
        HttpClient jdkDefault = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(pool.submit(() -> {
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = jdkDefault.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                                .timeout(Duration.ofSeconds(40)).header("Content-Type", "audio/wav")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(reference.wav())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        return r.statusCode() + " " + r.version() + " in " + (System.nanoTime() - s) / 1_000_000 + " ms";
                    } catch (IOException e) {
                        return "FAILED " + e.getMessage() + " after " + (System.nanoTime() - s) / 1_000_000 + " ms";
                    }
                }));
            }
            for (Future<String> f : all) {
                String outcome = f.get(60, TimeUnit.SECONDS);
                report.line("JDK HttpClient (default HTTP/2 preference), 4 at once: %s", outcome);
                long ms = Long.parseLong(outcome.replaceAll(".* (\\d+) ms$", "$1"));
                // 503 is the admission limit (one slot) answering, which is fine; a hang or a dropped stream is not.
                if (!(outcome.startsWith("200") || outcome.startsWith("503")) || ms > 5000) {
                    problems.add(outcome);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        if (!problems.isEmpty()) {
            report.line("cause: Liberty's h2c upgrade of concurrent POSTs; httpEndpoint protocolVersion=\"http/1.1\" in"
                    + " server.xml avoids it (checked by hand)");
        }
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }

    private static void checkStillServing(Report report, List<String> problems) throws Exception {
        HttpResponse<String> r = HTTP11.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofByteArray(reference.wav())).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
            Fixtures.assertEmbedding(reference.embedding(), r.body());
            report.line("afterwards the server still computes the right embedding");
        } else {
            problems.add("afterwards: " + r.statusCode() + " " + r.body());
        }
    }
}
