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
 * few client threads; every answer must be a 4xx problem document or a valid embedding. The speaker-profile
 * endpoints that take WAV files (enroll, verify against a profile, identify) get {@code
 * reliability.fuzz.profile.cases} more (300), under the same rule, and refused enrollments must store nothing. Afterwards the server must
 * still compute speechbrain's numbers. Bodies that announce gigabytes, or inflate to them, must be refused before
 * the memory is spent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WavFuzzIT {

    private static final int CASES = Integer.getInteger("reliability.fuzz.cases", 1500);
    private static final long SEED = Long.getLong("reliability.fuzz.seed", 20_240_611L);
    private static final int CLIENT_THREADS = Integer.getInteger("reliability.fuzz.threads", 4);
    /** Cases on the profile endpoints (enroll, verify against a profile, identify), a third each. */
    private static final int PROFILE_CASES = Integer.getInteger("reliability.fuzz.profile.cases", 300);
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
        Map<String, String> e = env(hub.endpoint(), tmp.resolve("cache"), Fixtures.smallModel());
        // One enrollment of the reference file enrolls a profile, so the verify cases have one to score against.
        e.put("ENROLLMENT_MIN_SPEECH_SECONDS", "2");
        server = Fixtures.startReady(e, tmp.resolve("server"));
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

    /**
     * The same hostile audio against the profile endpoints that take WAV files: enroll into a profile, verify against
     * an enrolled one, identify. Every answer is a 4xx problem document or a valid answer, never a 5xx; refused
     * enrollments store nothing (the profile holds exactly one enrollment per 201), and the enrolled profile and the
     * set of profiles are what they were.
     */
    @Test
    @Order(2)
    void fuzzedWavsOnTheProfileEndpointsGetA4xxProblemOrAValidAnswerAndStoreNothingWhenRefused() throws Exception {
        Report report = new Report("issue10-profile-fuzz");
        server.awaitResponse("/v1/speakers?limit=1", r -> r.statusCode() == 200, Duration.ofSeconds(60));
        String enrolled = createProfile();
        HttpResponse<String> enrollment = server.post("/v1/speakers/" + enrolled + "/enrollments", "audio/wav",
                reference.wav());
        assertEquals(201, enrollment.statusCode(), enrollment.body());
        assertEquals("enrolled", Fixtures.jsonObjectOrEmpty(enrollment.body()).orElseThrow().getJsonObject("speaker")
                .getString("state"));
        String target = createProfile();
        String[] paths = {"/v1/speakers/" + target + "/enrollments", "/v1/speakers/" + enrolled + "/verify",
                "/v1/identify"};
        String[] kinds = {"enroll", "verify", "identify"};

        WavFuzzer fuzzer = new WavFuzzer(SEED);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger enrollmentsAccepted = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        AtomicInteger next = new AtomicInteger();
        long started = System.nanoTime();
        for (int t = 0; t < CLIENT_THREADS; t++) {
            clients.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < PROFILE_CASES; ) {
                    int kind = i % kinds.length;
                    // Other cases than the embeddings run's: the same generator, further along. Now and then the
                    // whole reference file instead, so that enrollments are accepted too and the count below
                    // tells stored from refused.
                    WavFuzzer.Case c = i % (kinds.length * 20) == 0
                            ? new WavFuzzer.Case(CASES + i, reference.wav(), "audio/wav", "reference file")
                            : fuzzer.generate(CASES + i);
                    String outcome;
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri(paths[kind]))
                                .timeout(CASE_TIMEOUT).header("Content-Type", c.contentType())
                                .POST(HttpRequest.BodyPublishers.ofByteArray(c.body())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        // The target profile becomes enrolled too once the reference file is enrolled into it.
                        outcome = classifyProfileAnswer(kinds[kind], r, 1, 2);
                        if (outcome.equals("201 enrolled")) {
                            enrollmentsAccepted.incrementAndGet();
                        }
                    } catch (HttpTimeoutException e) {
                        outcome = "FAIL timeout after " + CASE_TIMEOUT.toSeconds() + " s";
                    } catch (IOException e) {
                        outcome = "FAIL connection: " + e;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    String key = kinds[kind] + " " + (outcome.startsWith("FAIL") ? "FAIL" : outcome);
                    outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    if (outcome.startsWith("FAIL")) {
                        failures.add(kinds[kind] + " case " + c.index() + " (" + c.description() + ", "
                                + c.body().length + " bytes, " + c.contentType() + "): " + outcome);
                        saveFailure(c);
                    }
                }
            });
        }
        clients.shutdown();
        boolean finished = clients.awaitTermination(PROFILE_CASES * 2L + 120, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;

        int targetEnrollments = enrollmentCount(target);
        int enrolledEnrollments = enrollmentCount(enrolled);
        JsonArray profiles = Fixtures.jsonObjectOrEmpty(server.get("/v1/speakers").body()).orElseThrow()
                .getJsonArray("speakers");
        report.line("seed %d, %d cases on enroll, verify and identify (%d client threads, %.1f s)", SEED,
                PROFILE_CASES, CLIENT_THREADS, seconds);
        new TreeMap<>(outcomes).forEach((k, v) -> report.line("  %-45s %6d", k, v.get()));
        report.line("enrollments accepted %d, stored %d; enrolled profile's enrollments %d; profiles %d",
                enrollmentsAccepted.get(), targetEnrollments, enrolledEnrollments, profiles.size());
        failures.stream().limit(20).forEach(f -> report.line("  %s", f));
        report.write(failures.isEmpty() ? "PASS" : "FAIL");

        assertTrue(finished, "every case was answered within the run's time limit");
        assertEquals(List.of(), failures.stream().limit(20).toList(), "profile cases answered with a 5xx, a "
                + "non-problem 4xx, an invalid answer, a timeout or a dropped connection");
        assertTrue(enrollmentsAccepted.get() >= PROFILE_CASES / 60, "the reference file was enrolled each time it "
                + "was sent: " + enrollmentsAccepted.get());
        assertEquals(enrollmentsAccepted.get(), targetEnrollments, "refused enrollments stored nothing");
        assertEquals(1, enrolledEnrollments, "verify and identify store nothing");
        assertEquals(2, profiles.size(), "no profile was made or lost");
        for (String kind : kinds) {
            assertTrue(outcomes.keySet().stream().anyMatch(k -> k.startsWith(kind + " 4")),
                    kind + ": some cases were refused");
        }
        assertTrue(outcomes.containsKey("verify 200 verified") && outcomes.containsKey("identify 200 identified"),
                "some fuzzed audio stays valid and is scored: " + outcomes.keySet());
        HttpResponse<String> after = server.post("/v1/speakers/" + enrolled + "/verify", "audio/wav",
                reference.wav());
        assertEquals(200, after.statusCode(), after.body());
        assertEquals(1.0, Fixtures.jsonObjectOrEmpty(after.body()).orElseThrow().getJsonNumber("score")
                .doubleValue(), 1e-4, "the enrolled file still verifies against itself");
        for (String id : List.of(enrolled, target)) {
            assertEquals(204, server.http().send(HttpRequest.newBuilder(server.uri("/v1/speakers/" + id)).DELETE()
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        }
    }

    private static String createProfile() throws Exception {
        HttpResponse<String> r = server.post("/v1/speakers", "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(201, r.statusCode(), r.body());
        return Fixtures.jsonObjectOrEmpty(r.body()).orElseThrow().getString("id");
    }

    private static int enrollmentCount(String id) throws Exception {
        HttpResponse<String> r = server.get("/v1/speakers/" + id + "/enrollments");
        assertEquals(200, r.statusCode(), r.body());
        return Fixtures.jsonObjectOrEmpty(r.body()).orElseThrow().getJsonArray("enrollments").size();
    }

    /**
     * "201 enrolled", "200 verified", "200 identified", "4xx code", or "FAIL ..." (see {@link #classify}).
     *
     * @param kind      enroll, verify or identify
     * @param minScored fewest enrolled profiles identify may have scored
     * @param maxScored most enrolled profiles identify may have scored
     */
    static String classifyProfileAnswer(String kind, HttpResponse<String> r, int minScored, int maxScored) {
        int expected = kind.equals("enroll") ? 201 : 200;
        if (r.statusCode() != expected) {
            String outcome = classify(r);
            return outcome.startsWith("200") ? "FAIL " + r.statusCode() + " instead of " + expected : outcome;
        }
        Optional<JsonObject> body = jsonObjectOrEmpty(r.body());
        if (body.isEmpty() || !r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            return "FAIL " + expected + " without a JSON body";
        }
        try {
            JsonObject o = body.get();
            switch (kind) {
                case "enroll" -> {
                    JsonArray stored = o.getJsonArray("enrollments");
                    if (stored.size() != 1) {
                        return "FAIL 201 with " + stored.size() + " enrollments for one file";
                    }
                    double speech = stored.getJsonObject(0).getJsonNumber("speech_seconds").doubleValue();
                    double duration = stored.getJsonObject(0).getJsonNumber("duration_seconds").doubleValue();
                    return speech >= 1.0 && speech <= duration ? "201 enrolled"
                            : "FAIL 201 with speech " + speech + " of " + duration + " s";
                }
                case "verify" -> {
                    double score = o.getJsonNumber("score").doubleValue();
                    if (!(score >= -1.0001 && score <= 1.0001)) {
                        return "FAIL 200 with score " + score;
                    }
                    return o.getBoolean("same_speaker") == score > o.getJsonNumber("threshold").doubleValue()
                            ? "200 verified" : "FAIL 200 whose decision contradicts its score";
                }
                default -> {
                    for (JsonValue v : o.getJsonArray("candidates")) {
                        double score = v.asJsonObject().getJsonNumber("score").doubleValue();
                        if (!(score >= -1.0001 && score <= 1.0001)) {
                            return "FAIL 200 with a candidate scored " + score;
                        }
                    }
                    int scored = o.getInt("profiles_scored");
                    boolean consistent = scored >= minScored && scored <= maxScored
                            && o.getJsonArray("candidates").size() == Math.min(scored, 5);
                    return consistent ? "200 identified" : "FAIL 200 scoring " + scored + " profiles with "
                            + o.getJsonArray("candidates").size() + " candidates, " + minScored + " to " + maxScored
                            + " expected";
                }
            }
        } catch (RuntimeException e) {
            return "FAIL " + expected + " with an unexpected document: " + e;
        }
    }

    @Test
    @Order(3)
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
    @Order(4)
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
