package dev.speakerembedding.it;

import static dev.speakerembedding.it.ApiCalls.assertProblem;
import static dev.speakerembedding.it.ApiCalls.assertRetryAfter;
import static dev.speakerembedding.it.ApiCalls.embed;
import static dev.speakerembedding.it.ServerTestSupport.READY_TIMEOUT;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.it.ApiCalls.Multipart;
import dev.speakerembedding.it.ApiCalls.Part;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits that protect the server, through two real Liberty servers: one admitting a single inference and a
 * single queued request (and no minimum duration, to reach the model's own floor), and one that never gets a
 * model (offline, empty cache).
 */
class AdmissionAndReadinessIT {

    /** More concurrent requests than the one running plus the one queued that the server admits. */
    private static final int CONCURRENT_REQUESTS = 8;
    /**
     * Long enough that one inference keeps the only slot busy past the burst's arrival (about 0.3 s on an idle
     * machine; 10 s of audio would take well under 0.1 s), short enough that the two served requests finish in
     * seconds even on a loaded one. Sent as 8-bit audio at 1 kHz, 60 kB per request, so reading the burst costs
     * next to nothing, while each request still costs the full duration's 16 kHz inference.
     */
    private static final double BURST_AUDIO_SECONDS = 60;
    private static final int BURST_SAMPLE_RATE_HZ = 1000;
    /** A refusal does not wait for the work ahead of it; generous, for a loaded machine. */
    private static final long REFUSAL_LIMIT_MS = 2_000;
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(120);
    /** The narrow server's UPLOAD_TIMEOUT_MS. */
    private static final Duration UPLOAD_TIMEOUT = Duration.ofSeconds(3);

    private static HubStandIn hub;
    private static LibertyServer narrow;
    private static LibertyServer notReady;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServers() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> env = new HashMap<>(env(hub, tmp.resolve("cache")));
        env.put("MAX_CONCURRENT_INFERENCES", "1");
        env.put("MAX_QUEUED_REQUESTS", "1");
        env.put("QUEUE_TIMEOUT_MS", "60000");
        env.put("MIN_AUDIO_SECONDS", "0");
        env.put("UPLOAD_TIMEOUT_MS", Long.toString(UPLOAD_TIMEOUT.toMillis()));
        narrow = ServerTestSupport.startReady(env, tmp.resolve("narrow"));
        // The first requests of a fresh server pay for class loading, JIT and ONNX Runtime's first run at a new
        // length; the burst must measure admission, not that.
        for (int i = 0; i < 3; i++) {
            ApiCalls.postOverHttp11(narrow, "/v1/embeddings", "audio/wav",
                    Wavs.compactSpeechLike(BURST_AUDIO_SECONDS, BURST_SAMPLE_RATE_HZ));
        }
        // Only now: servers of one installation share its expanded application directory, and two starting at once
        // may both write it (seen as a NoClassDefFoundError in the other).
        notReady = LibertyServer.start(env(null, tmp.resolve("empty-cache")), tmp.resolve("not-ready"));
        notReady.awaitResponse("/v1/status", r -> r.body().contains("Model not cached and offline mode is enabled"),
                READY_TIMEOUT);
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {narrow, notReady, hub}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private record Timed(HttpResponse<String> response, long millis) {
    }

    @Test
    void pastTheQueueRequestsAreRefusedQuicklyAndTheRestServed() throws Exception {
        byte[] wav = Wavs.compactSpeechLike(BURST_AUDIO_SECONDS, BURST_SAMPLE_RATE_HZ);
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_REQUESTS);
        try {
            CyclicBarrier start = new CyclicBarrier(CONCURRENT_REQUESTS);
            List<Future<Timed>> calls = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = ApiCalls.postOverHttp11(narrow, "/v1/embeddings", "audio/wav", wav);
                    return new Timed(r, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                }));
            }
            List<Timed> results = new ArrayList<>();
            for (Future<Timed> call : calls) {
                results.add(call.get(180, TimeUnit.SECONDS));
            }
            String report = results.stream().map(t -> t.response().statusCode() + " in " + t.millis() + " ms")
                    .toList().toString();
            System.out.println("burst of " + CONCURRENT_REQUESTS + ": " + report);
            List<Timed> served = results.stream().filter(t -> t.response().statusCode() == 200).toList();
            List<Timed> refused = results.stream().filter(t -> t.response().statusCode() != 200).toList();
            assertTrue(served.size() >= 2, "the running request and the queued one are served: " + report);
            assertTrue(refused.size() >= 1, "the rest are refused: " + report);
            for (Timed t : served) {
                assertEquals(1, json(t.response().body()).getJsonArray("data").size());
            }
            for (Timed t : refused) {
                JsonObject p = assertProblem(t.response(), 503, "saturated");
                assertTrue(p.getString("detail").contains("places are taken"), "refused at once, not after a wait: "
                        + p);
                assertRetryAfter(t.response());
                assertTrue(t.millis() < REFUSAL_LIMIT_MS, "refused without waiting for the work ahead: " + report);
            }
        } finally {
            pool.shutdownNow();
        }
        awaitIdle(narrow);
        assertEquals(200, embed(narrow, Wavs.speechLike(1)).statusCode(), "serves normally after the burst");
    }

    /** Waits until {@code server} admits work again (a test before may have left requests running). */
    private static void awaitIdle(LibertyServer server) throws Exception {
        byte[] wav = Wavs.speechLike(0.5);
        long deadline = System.nanoTime() + IDLE_TIMEOUT.toNanos();
        HttpResponse<String> last;
        do {
            last = embed(server, wav);
            if (last.statusCode() == 200) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("server still saturated after " + IDLE_TIMEOUT + ": " + last.body());
    }

    @Test
    void aBatchAndAVerificationEachTakeOneSlot() throws Exception {
        awaitIdle(narrow);
        byte[] wav = Wavs.speechLike(2);
        HttpResponse<String> batch = ApiCalls.post(narrow, "/v1/embeddings", Multipart.of(
                Part.file("files", "1.wav", wav), Part.file("files", "2.wav", wav), Part.file("files", "3.wav", wav)));
        assertEquals(200, batch.statusCode(), batch.body());
        HttpResponse<String> verify = ApiCalls.post(narrow, "/v1/verify", Multipart.of(
                Part.file("a", "a.wav", wav), Part.file("b", "b.wav", wav)));
        assertEquals(200, verify.statusCode(), verify.body());
    }

    @Test
    void nothingUnder640SamplesAt16kHzCanBeEmbedded() throws Exception {
        awaitIdle(narrow);
        JsonObject p = assertProblem(embed(narrow, Wavs.mono(16000, Wavs.signal(639, 16000))), 422,
                "audio_too_short");
        assertTrue(p.getString("detail").contains("640"), p.toString());
        assertFalse(p.getString("detail").contains("MIN_AUDIO_SECONDS"), "the model's floor, not the setting");
        assertProblem(embed(narrow, Wavs.mono(16000, new short[] {1234})), 422, "audio_too_short");
        // 320 samples at 8 kHz resample to 640 at 16 kHz: just enough.
        assertEquals(200, embed(narrow, Wavs.mono(16000, Wavs.signal(640, 16000))).statusCode());
        assertEquals(200, embed(narrow, Wavs.mono(8000, Wavs.signal(320, 8000))).statusCode());
        assertProblem(embed(narrow, Wavs.mono(8000, Wavs.signal(319, 8000))), 422, "audio_too_short");
    }

    @Test
    void withoutAModelEveryOperationThatNeedsOneSaysSoWithRetryAfter() throws Exception {
        byte[] wav = Wavs.speechLike(1);
        List<HttpResponse<String>> answers = List.of(
                notReady.get("/v1/model"),
                embed(notReady, wav),
                ApiCalls.post(notReady, "/v1/embeddings", Multipart.of(Part.file("files", "a.wav", wav))),
                ApiCalls.post(notReady, "/v1/verify", Multipart.of(Part.file("a", "a.wav", wav),
                        Part.file("b", "b.wav", wav))));
        for (HttpResponse<String> r : answers) {
            JsonObject p = assertProblem(r, 503, "model_not_ready");
            assertTrue(p.getString("detail").contains("Model not cached and offline mode is enabled"), p.toString());
            assertRetryAfter(r);
        }
        for (String path : List.of("/v1/verify/embeddings", "/v1/verify")) {
            HttpResponse<String> json = notReady.post(path, "application/json",
                    "{\"a\":[1,0,0],\"b\":[1,0,0]}".getBytes());
            assertEquals(200, json.statusCode(), "comparing embeddings needs no model: " + path + " " + json.body());
            assertEquals(1.0, json(json.body()).getJsonNumber("score").doubleValue());
        }
        assertEquals(200, notReady.get("/v1/status").statusCode());
    }

    /**
     * Clients trickling their uploads (1 KiB every 100 ms, far under UPLOAD_MIN_BYTES_PER_SECOND; more of them than
     * the server admits at all) hold no place: a normal request is served meanwhile, and each trickler is cut off
     * with 408 soon after the upload deadline. (A client sending less than one of Liberty's buffers, about 8 KiB,
     * per read timeout is cut by that timeout instead, also with 408: RequestLimitsScenario shows it.)
     */
    @Test
    void clientsTricklingTheirUploadsAreCutOffAndKeepNobodyWaiting() throws Exception {
        awaitIdle(narrow);
        int tricklers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(tricklers);
        try {
            List<Future<String>> answers = new ArrayList<>();
            CyclicBarrier connected = new CyclicBarrier(tricklers + 1);
            for (int i = 0; i < tricklers; i++) {
                answers.add(pool.submit(() -> trickle(connected)));
            }
            connected.await(30, TimeUnit.SECONDS);
            TimeUnit.MILLISECONDS.sleep(500); // every trickler's headers are in and its upload under way
            long t0 = System.nanoTime();
            HttpResponse<String> normal = ApiCalls.postOverHttp11(narrow, "/v1/embeddings", "audio/wav",
                    Wavs.speechLike(1));
            long normalMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(200, normal.statusCode(), "served while " + tricklers + " uploads trickle: " + normal.body());
            assertTrue(normalMs < UPLOAD_TIMEOUT.toMillis(), "served without waiting for the tricklers: " + normalMs
                    + " ms");
            for (Future<String> answer : answers) {
                String a = answer.get(60, TimeUnit.SECONDS);
                assertTrue(a.startsWith("HTTP/1.1 408"), a);
                assertTrue(a.contains("application/problem+json") && a.contains("\"code\":\"upload_too_slow\""), a);
                assertTrue(a.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), a);
                long cutMs = Long.parseLong(a.substring(a.lastIndexOf('@') + 1).strip());
                assertTrue(cutMs >= UPLOAD_TIMEOUT.toMillis() - 500 && cutMs < UPLOAD_TIMEOUT.toMillis() + 10_000,
                        "cut off near the " + UPLOAD_TIMEOUT.toMillis() + " ms deadline: " + cutMs + " ms");
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(200, embed(narrow, Wavs.speechLike(1)).statusCode(), "serves normally afterwards");
    }

    /** Sends a 1 MiB upload's headers, then 1 KiB every 100 ms until answered: the answer and "@ms" after the start. */
    private static String trickle(CyclicBarrier connected) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", narrow.httpPort())) {
            socket.setSoTimeout(100);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = socket.getInputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                    + "Content-Length: 1048576\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            connected.await(30, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60)) {
                try {
                    out.write(new byte[1024]);
                    out.flush();
                } catch (java.io.IOException closed) {
                    // the server closed the connection after answering; read what it said
                }
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    answer.write(buf, 0, n);
                } catch (java.net.SocketTimeoutException nothingYet) {
                    if (answer.size() > 0) {
                        break;
                    }
                } catch (java.io.IOException reset) {
                    break;
                }
            }
            return answer.toString(java.nio.charset.StandardCharsets.UTF_8) + "\n@"
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        }
    }
}
