package dev.speakerembedding.reliability;

import static dev.speakerembedding.reliability.Fixtures.env;
import static dev.speakerembedding.reliability.Fixtures.jsonObjectOrEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Item 6 of the reliability issue: hostile audio against a running server. A seeded mutator sends
 * {@code reliability.fuzz.cases} broken WAVs (1,500 in {@code mvn verify}, 10,000+ in the reliability suite) from a
 * few client threads; every answer must be a 4xx problem document or a valid embedding. Afterwards the server must
 * still compute speechbrain's numbers. Bodies that announce gigabytes, or inflate to them, must be refused before
 * the memory is spent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WavFuzzIT {

    private static final int CASES = Integer.getInteger("reliability.fuzz.cases", 1500);
    private static final long SEED = Long.getLong("reliability.fuzz.seed", 20_240_611L);
    private static final int CLIENT_THREADS = Integer.getInteger("reliability.fuzz.threads", 4);
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(30);
    /** Memory a refused header-only bomb may cost at most: the point is that nothing is allocated from its claim. */
    private static final long BOMB_RSS_BUDGET_KB = 64 * 1024;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static Path tmp;
    private static Fixtures.Reference reference;

    @BeforeAll
    static void startServer() throws Exception {
        tmp = Files.createTempDirectory("reliability-fuzz");
        hub = HubStandIn.start();
        Fixtures.serve(hub, Fixtures.smallModel());
        reference = Fixtures.Reference.of("speech_espeak_en");
        server = Fixtures.startReady(env(hub.endpoint(), tmp.resolve("cache"), Fixtures.smallModel()), tmp.resolve("server"));
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

    @Test
    @Order(1)
    void fuzzedWavsGetA4xxProblemOrAValidEmbeddingNeverA5xxAHangOrACrash() throws Exception {
        Report report = new Report("item6-fuzz");
        WavFuzzer fuzzer = new WavFuzzer(SEED);
        // HTTP/1.1 on purpose: the JDK client's default h2c upgrade of concurrent POSTs stalls for 30 s against
        // Liberty's cleartext endpoint, a server configuration matter that RequestLimitsScenario checks on its own;
        // here the subject is what the service does with the bodies.
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicLong bytesSent = new AtomicLong();
        AtomicInteger fiveHundreds = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        long rssBefore = ProcessMemory.rssKb(server);
        long started = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        AtomicInteger next = new AtomicInteger();
        for (int t = 0; t < CLIENT_THREADS; t++) {
            clients.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < CASES; ) {
                    WavFuzzer.Case c = fuzzer.generate(i);
                    bytesSent.addAndGet(c.body().length);
                    String outcome;
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                                .timeout(CASE_TIMEOUT).header("Content-Type", c.contentType())
                                .POST(HttpRequest.BodyPublishers.ofByteArray(c.body())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        outcome = classify(r);
                        if (r.statusCode() >= 500) {
                            fiveHundreds.incrementAndGet();
                        }
                    } catch (HttpTimeoutException e) {
                        timeouts.incrementAndGet();
                        outcome = "FAIL timeout after " + CASE_TIMEOUT.toSeconds() + " s";
                    } catch (IOException e) {
                        outcome = "FAIL connection: " + e;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    String key = outcome.startsWith("FAIL") ? "FAIL" : outcome;
                    outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    if (outcome.startsWith("FAIL")) {
                        failures.add("case " + i + " (" + c.description() + ", " + c.body().length + " bytes, "
                                + c.contentType() + "): " + outcome);
                        saveFailure(c);
                    }
                }
            });
        }
        clients.shutdown();
        boolean finished = clients.awaitTermination(CASES * 2L + 120, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;

        // The server must still be up and still compute the right numbers.
        HttpResponse<String> after = server.post("/v1/embeddings", "audio/wav", reference.wav());
        long rssAfter = ProcessMemory.rssKb(server);

        report.line("seed %d, %d cases (%d client threads, %.1f s, %.0f cases/s, %.1f MB sent)", SEED, CASES,
                CLIENT_THREADS, seconds, CASES / seconds, bytesSent.get() / 1e6);
        new TreeMap<>(outcomes).forEach((k, v) -> report.line("  %-45s %6d", k, v.get()));
        report.line("5xx answers: %d, timeouts: %d, other failures: %d", fiveHundreds.get(), timeouts.get(),
                failures.size() - fiveHundreds.get() - timeouts.get());
        report.line("after the run: %s embedding of %s %s", after.statusCode(), reference.name(),
                after.statusCode() == 200 ? "returned" : after.body());
        report.line("JVM resident memory: before %s, after %s", ProcessMemory.mb(rssBefore), ProcessMemory.mb(rssAfter));
        failures.stream().limit(20).forEach(f -> report.line("  %s", f));
        report.write(failures.isEmpty() ? "PASS" : "FAIL");

        assertTrue(finished, "every case was answered within the run's time limit");
        assertEquals(List.of(), failures.stream().limit(20).toList(), "cases answered with a 5xx, a non-problem 4xx,"
                + " an invalid embedding, a timeout or a dropped connection (bodies in target/reliability/fuzz-failures)");
        assertTrue(server.isAlive(), "the server process survived");
        assertEquals(200, after.statusCode(), after.body());
        Fixtures.assertEmbedding(reference.embedding(), after.body());
        int valid = outcomes.getOrDefault("200 embedding", new AtomicInteger()).get();
        assertTrue(valid > CASES / 100, "the mutator keeps some inputs valid (" + valid + "), so the valid path is"
                + " exercised among the garbage");
    }

    /** "200 embedding", "4xx code", or "FAIL ..." for anything the contract does not allow. */
    static String classify(HttpResponse<String> r) {
        int status = r.statusCode();
        String type = r.headers().firstValue("Content-Type").orElse("");
        Optional<JsonObject> body = jsonObjectOrEmpty(r.body());
        if (status == 200) {
            if (body.isEmpty() || !type.startsWith("application/json")) {
                return "FAIL 200 without a JSON body (" + type + ")";
            }
            try {
                int dimension = body.get().getInt("dimension");
                JsonArray vector = body.get().getJsonArray("data").getJsonObject(0).getJsonArray("embedding");
                if (vector.size() != dimension || dimension <= 0) {
                    return "FAIL 200 with an embedding of " + vector.size() + " numbers, dimension " + dimension;
                }
                for (JsonValue v : vector) {
                    if (!(v instanceof JsonNumber n) || !Double.isFinite(n.doubleValue())) {
                        return "FAIL 200 with a non-finite number in the embedding";
                    }
                }
                return "200 embedding";
            } catch (RuntimeException e) {
                return "FAIL 200 with an unexpected document: " + e;
            }
        }
        if (status >= 400 && status < 500) {
            if (!type.startsWith("application/problem+json") || body.isEmpty()) {
                return "FAIL " + status + " that is not a problem document (" + type + "): " + abbreviate(r.body());
            }
            JsonObject problem = body.get();
            if (problem.getInt("status", -1) != status || problem.getString("code", "").isEmpty()) {
                return "FAIL " + status + " problem without matching status and a code: " + abbreviate(r.body());
            }
            return status + " " + problem.getString("code");
        }
        return "FAIL " + status + ": " + abbreviate(r.body());
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static void saveFailure(WavFuzzer.Case c) {
        try {
            Path dir = Path.of(System.getProperty("project.root", ".")).resolve("target/reliability/fuzz-failures");
            Files.createDirectories(dir);
            Files.write(dir.resolve("seed" + SEED + "-case" + c.index() + ".wav"), c.body());
        } catch (IOException e) {
            System.out.println("could not save a failing case: " + e);
        }
    }

    @Test
    @Order(2)
    void headersAnnouncingGigabytesAreRefusedBeforeMemoryIsSpent() throws Exception {
        Report report = new Report("item6-bombs");
        List<String> problems = new ArrayList<>();
        byte[] halfSecond = WavFuzzer.wav(1, 16, 1, 16000, 0.5);
        int data = WavFuzzer.findChunk(halfSecond, "data");
        int fmt = WavFuzzer.findChunk(halfSecond, "fmt ");

        Map<String, byte[]> bodies = new java.util.LinkedHashMap<>();
        byte[] dataClaims4G = halfSecond.clone();
        WavFuzzer.putU32(dataClaims4G, data + 4, 0xFFFFFFFFL);
        bodies.put("data chunk declares 4 GiB, holds 16 KB", dataClaims4G);
        byte[] riffClaims4G = halfSecond.clone();
        WavFuzzer.putU32(riffClaims4G, 4, 0xFFFFFFFFL);
        bodies.put("RIFF declares 4 GiB", riffClaims4G);
        byte[] fmtClaims4G = halfSecond.clone();
        WavFuzzer.putU32(fmtClaims4G, fmt + 4, 0xFFFFFFF0L);
        bodies.put("fmt chunk declares 4 GiB", fmtClaims4G);
        byte[] listClaims2G = WavFuzzer.concat(java.util.Arrays.copyOf(halfSecond, data),
                "LIST".getBytes(StandardCharsets.US_ASCII), WavFuzzer.le32(0x7FFFFFF0L), new byte[64],
                java.util.Arrays.copyOfRange(halfSecond, data, halfSecond.length));
        bodies.put("LIST chunk before data declares 2 GiB", listClaims2G);
        byte[] manyChannels = WavFuzzer.riff(WavFuzzer.fmtChunk(1, 65535, 768000, 8), new byte[65535 * 4]);
        bodies.put("65535 channels at 768 kHz, 4 frames", manyChannels);
        byte[] hours = WavFuzzer.riff(WavFuzzer.fmtChunk(1, 1, 1000, 8), new byte[2]);
        WavFuzzer.putU32(hours, WavFuzzer.findChunk(hours, "data") + 4, 0xFFFFFFFFL);
        bodies.put("1 kHz data chunk declaring 50 days of audio", hours);

        for (Map.Entry<String, byte[]> e : bodies.entrySet()) {
            long before = ProcessMemory.rssKb(server);
            long t0 = System.nanoTime();
            HttpResponse<String> r = server.post("/v1/embeddings", "audio/wav", e.getValue());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long grew = ProcessMemory.rssKb(server) - before;
            String outcome = classify(r);
            report.line("%-45s -> %-28s in %4d ms, resident memory %+d KB", e.getKey(), outcome, ms, grew);
            if (outcome.startsWith("FAIL") || ms > 5000 || grew > BOMB_RSS_BUDGET_KB) {
                problems.add(e.getKey() + ": " + outcome + ", " + ms + " ms, +" + grew + " KB");
            }
        }

        // An HTTP Content-Length of 8 GiB with a small body: refused on the header, before reading.
        long before = ProcessMemory.rssKb(server);
        RawHttp.Answer lying = RawHttp.exchange(server.httpPort(), RawHttp.postHead("/v1/embeddings",
                        "Content-Type: audio/wav", "Content-Length: 8589934592"),
                (out, in, socket) -> {
                    out.write(halfSecond);
                    out.flush();
                    return halfSecond.length;
                }, Duration.ofSeconds(10));
        long grew = ProcessMemory.rssKb(server) - before;
        report.line("%-45s -> %d %s in %4d ms, resident memory %+d KB", "Content-Length: 8 GiB, 16 KB sent",
                lying.status(), lying.isProblem() ? "problem+json" : "(not a problem document)",
                lying.elapsed().toMillis(), grew);
        if (lying.status() != 413 || !lying.isProblem() || lying.elapsed().toSeconds() > 5 || grew > BOMB_RSS_BUDGET_KB) {
            problems.add("Content-Length 8 GiB: " + lying.status() + " after " + lying.elapsed().toMillis() + " ms: "
                    + abbreviate(lying.text()));
        }

        // A chunked body that would go on forever: the server must stop reading at the limit and say 413.
        before = ProcessMemory.rssKb(server);
        byte[] mib = new byte[1 << 20];
        RawHttp.Answer endless = RawHttp.exchange(server.httpPort(), RawHttp.postHead("/v1/embeddings",
                        "Content-Type: audio/wav", "Transfer-Encoding: chunked"),
                (out, in, socket) -> {
                    long sent = 0;
                    for (int i = 0; i < 256 && !RawHttp.answered(in); i++) {
                        out.write((Integer.toHexString(mib.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(mib);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        sent += mib.length;
                    }
                    return sent;
                }, Duration.ofSeconds(20));
        grew = ProcessMemory.rssKb(server) - before;
        report.line("%-45s -> %d after %d MB sent (%s) in %d ms, resident memory %+d KB",
                "chunked body without end (limit 32 MiB)", endless.status(), endless.bytesSent() >> 20, endless.how(),
                endless.elapsed().toMillis(), grew);
        if (endless.status() != 413 && endless.status() != -1) {
            problems.add("endless chunked body: " + endless.status() + ": " + abbreviate(endless.text()));
        }
        if (endless.bytesSent() > 200L << 20) {
            problems.add("endless chunked body: the server read " + (endless.bytesSent() >> 20) + " MB without answering");
        }

        HttpResponse<String> after = server.post("/v1/embeddings", "audio/wav", reference.wav());
        report.line("afterwards: %d, JVM resident memory %s", after.statusCode(), ProcessMemory.mb(ProcessMemory.rssKb(server)));
        problems.forEach(p -> report.line("PROBLEM %s", p));
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
        assertEquals(200, after.statusCode());
        Fixtures.assertEmbedding(reference.embedding(), after.body());
    }

    @Test
    @Order(3)
    void compressedBodiesAreNeverInflated() throws Exception {
        Report report = new Report("item6-decompression-bomb");
        // 256 MiB of silence after a WAV header, gzip-compressed to a few hundred KB: inflated, it would be eight
        // times the request limit. HTTP has no business inflating an upload the API never offered to accept so.
        byte[] header = WavFuzzer.riff(WavFuzzer.fmtChunk(1, 1, 16000, 16), new byte[0]);
        WavFuzzer.putU32(header, 4, (256L << 20) + 36);
        WavFuzzer.putU32(header, WavFuzzer.findChunk(header, "data") + 4, 256L << 20);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(compressed)) {
            gz.write(header);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                gz.write(zeros);
            }
        }
        byte[] bomb = compressed.toByteArray();
        // Liberty's HTTP channel would inflate a Content-Encoding'd request body itself; the API refuses any content
        // coding before reading (415), so the budget is far below even one maximal request (32 MiB).
        long budgetKb = 4L * 32 * 1024;
        List<String> problems = new ArrayList<>();
        for (String encoding : List.of("gzip", "deflate", "x-gzip")) {
            long before = ProcessMemory.rssKb(server);
            RawHttp.Answer a = RawHttp.exchange(server.httpPort(), RawHttp.postHead("/v1/embeddings",
                            "Content-Type: audio/wav", "Content-Encoding: " + encoding, "Content-Length: " + bomb.length),
                    (out, in, socket) -> {
                        out.write(bomb);
                        out.flush();
                        return bomb.length;
                    }, Duration.ofSeconds(30));
            long grew = ProcessMemory.rssKb(server) - before;
            report.line("Content-Encoding: %-8s %d KB inflating to 256 MiB -> %d %s in %d ms, resident memory %+d KB",
                    encoding, bomb.length >> 10, a.status(), a.isProblem() ? "problem+json" : "", a.elapsed().toMillis(),
                    grew);
            if (a.status() < 400 || a.status() >= 500 || !a.isProblem() || grew > budgetKb) {
                problems.add(encoding + ": " + a.status() + ", +" + grew + " KB: " + abbreviate(a.text()));
            }
        }
        report.write(problems.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), problems);
    }
}
