package dev.speakerembedding.it;

import static dev.speakerembedding.it.ApiCalls.assertProblem;
import static dev.speakerembedding.it.ApiCalls.embed;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.it.ApiCalls.Multipart;
import dev.speakerembedding.it.ApiCalls.Part;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics on a real server: known traffic in, exactly that traffic counted out (differences between two scrapes,
 * label by label), every histogram's count equal to its requests, the model's gauges equal to what the server did
 * at start; and the Server-Timing header of the answers that run the model.
 */
class MetricsIT {

    private static final long MAX_REQUEST_BYTES = 2_000_000;
    private static final long MAX_BUFFERED_UPLOAD_BYTES = 1_048_576;
    private static final String EMBEDDINGS = "createEmbeddings";
    private static final String REQUESTS = "speaker_embedding_requests_total";
    private static final String REQUEST_DURATION = "speaker_embedding_request_duration_seconds";
    private static final String STAGES = "speaker_embedding_stage_duration_seconds";
    private static final String REFUSALS = "speaker_embedding_admission_refusals_total";

    private static HubStandIn hub;
    private static LibertyServer server;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startServer() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        Map<String, String> env = new HashMap<>(env(hub, tmp.resolve("cache")));
        // One place in the gate, so one long request makes the next one a saturation refusal.
        env.put("MAX_CONCURRENT_INFERENCES", "1");
        env.put("MAX_QUEUED_REQUESTS", "0");
        env.put("MAX_REQUEST_BYTES", Long.toString(MAX_REQUEST_BYTES));
        env.put("MAX_BUFFERED_UPLOAD_BYTES", Long.toString(MAX_BUFFERED_UPLOAD_BYTES));
        server = ServerTestSupport.startReady(env, tmp.resolve("server"));
        assertEquals(200, embed(server, Wavs.speechLike(1)).statusCode(), "warm-up");
    }

    @AfterAll
    static void stopServer() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, hub}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static PrometheusText scrape() throws Exception {
        HttpResponse<String> r = server.get("/metrics");
        assertEquals(200, r.statusCode(), "no authentication asked: " + r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                r.headers().toString());
        PrometheusText text = PrometheusText.parse(r.body());
        for (PrometheusText.Sample s : text.samples()) {
            assertFalse(Double.isNaN(s.value()) && s.name().startsWith("speaker_embedding_"), "NaN: " + s);
        }
        return text;
    }

    /** What the client saw, by operation and status code: what the counters must have added. */
    private static final class Sent {
        final Map<List<String>, Integer> byOperationAndCode = new LinkedHashMap<>();

        HttpResponse<String> add(String operation, HttpResponse<String> r) {
            byOperationAndCode.merge(List.of(operation, Integer.toString(r.statusCode())), 1, Integer::sum);
            return r;
        }

        int count(String operation, int code) {
            return byOperationAndCode.getOrDefault(List.of(operation, Integer.toString(code)), 0);
        }
    }

    @Test
    void scrapedCountsEqualTheTrafficSent() throws Exception {
        byte[] speech = Wavs.speechLike(1);
        PrometheusText before = scrape();
        Sent sent = new Sent();
        int filesEmbedded = 0;
        int slotsTaken = 0;
        int bodiesRead = 0;
        for (int i = 0; i < 4; i++) {
            assertEquals(200, sent.add(EMBEDDINGS, embed(server, speech)).statusCode());
            filesEmbedded++;
            slotsTaken++;
            bodiesRead++;
        }
        Multipart two = Multipart.of(Part.file("files", "a.wav", speech), Part.file("files", "b.wav",
                Wavs.speechLike(0.5)));
        assertEquals(200, sent.add(EMBEDDINGS, ApiCalls.post(server, "/v1/embeddings", two)).statusCode());
        filesEmbedded += 2;
        slotsTaken++;
        bodiesRead++;
        for (int i = 0; i < 2; i++) {
            // 400 malformed_audio: read, admitted, refused by the decoder inside the slot.
            assertProblem(sent.add(EMBEDDINGS, embed(server, "not a wav file".getBytes(StandardCharsets.US_ASCII))),
                    400, "malformed_audio");
            slotsTaken++;
            bodiesRead++;
            // 400 invalid_option: refused before the body is read.
            assertProblem(sent.add(EMBEDDINGS, server.post("/v1/embeddings?colour=blue", "audio/wav", speech)), 400,
                    "invalid_option");
            // 415: no method takes text/plain (JAX-RS refuses before any filter of ours reads anything).
            assertEquals(415, sent.add(EMBEDDINGS, server.post("/v1/embeddings", "text/plain", speech))
                    .statusCode());
            // 422 audio_too_short: decoded inside the slot, then refused.
            assertProblem(sent.add(EMBEDDINGS, embed(server, Wavs.speechLike(0.05))), 422, "audio_too_short");
            slotsTaken++;
            bodiesRead++;
            // 413 request_too_large: the declared length is refused before a byte is read.
            assertProblem(sent.add(EMBEDDINGS, embed(server, Wavs.speechLike(MAX_REQUEST_BYTES / 32000.0 + 1))),
                    413, "request_too_large");
        }
        // 404 and the servlet layer's own 400 (an Accept header RESTEasy cannot parse: the error page answers).
        assertEquals(404, sent.add("other", server.get("/v1/no-such-thing")).statusCode());
        assertProblem(sent.add("getStatus", server.http().send(HttpRequest.newBuilder(server.uri("/v1/status"))
                .header("Accept", "///").GET().build(), HttpResponse.BodyHandlers.ofString())), 400, "bad_request");
        // 503 saturated for want of upload memory: a slow upload holds 1.5 MB of the 2 MB budget (the budget is at
        // least MAX_REQUEST_BYTES) when another 0.64 MB arrives; the slow one then completes.
        byte[] slowWav = Wavs.speechLike(59);
        try (Socket slow = new Socket("127.0.0.1", server.httpPort())) {
            slow.setSoTimeout(120_000);
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                    + "Content-Length: " + slowWav.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(slowWav, 0, 1_500_000);
            out.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            double held;
            while ((held = scrape().single("speaker_embedding_upload_buffered_bytes", Map.of())) < 1_500_000
                    && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            assertTrue(held >= 1_500_000, "the slow upload's bytes are held: " + held);
            HttpResponse<String> budget = sent.add(EMBEDDINGS, embed(server, Wavs.speechLike(20)));
            assertProblem(budget, 503, "saturated");
            bodiesRead++;
            out.write(slowWav, 1_500_000, slowWav.length - 1_500_000);
            out.flush();
            String statusLine = new String(slow.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", statusLine);
            sent.byOperationAndCode.merge(List.of(EMBEDDINGS, "200"), 1, Integer::sum);
            filesEmbedded++;
            slotsTaken++;
            bodiesRead++;
        }
        // 503 saturated with every place taken: one long request holds the only place while another arrives.
        int queueFull = 0;
        int extraFiles = 0;
        for (int attempt = 0; attempt < 5 && queueFull == 0; attempt++) {
            byte[] longAudio = Wavs.compactSpeechLike(60, 1000);
            CompletableFuture<HttpResponse<String>> holder = CompletableFuture.supplyAsync(() -> {
                try {
                    return ApiCalls.postOverHttp11(server, "/v1/embeddings", "audio/wav", longAudio);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitPlaceTaken(holder);
            HttpResponse<String> refused = sent.add(EMBEDDINGS, embed(server, speech));
            HttpResponse<String> held = sent.add(EMBEDDINGS, holder.get(120, TimeUnit.SECONDS));
            assertEquals(200, held.statusCode(), held.body());
            extraFiles++;
            if (refused.statusCode() == 503) {
                assertProblem(refused, 503, "saturated");
                queueFull++;
            } else {
                assertEquals(200, refused.statusCode(), refused.body());
                extraFiles++;
            }
        }
        assertEquals(1, queueFull, "one request refused while the only place was taken");
        filesEmbedded += extraFiles;
        slotsTaken += extraFiles;
        bodiesRead += extraFiles;

        PrometheusText after = scrape();
        System.out.println("MetricsIT sent " + sent.byOperationAndCode);
        // Every (operation, code) the client saw, exactly; no other series of the operations moved.
        for (Map.Entry<List<String>, Integer> e : sent.byOperationAndCode.entrySet()) {
            Map<String, String> labels = Map.of("operation", e.getKey().get(0), "code", e.getKey().get(1));
            assertEquals(e.getValue().doubleValue(), delta(before, after, REQUESTS, labels), REQUESTS + labels);
            assertEquals(e.getValue().doubleValue(), delta(before, after, REQUEST_DURATION + "_count", labels),
                    REQUEST_DURATION + "_count" + labels);
            assertEquals(e.getValue().doubleValue(), delta(before, after, REQUEST_DURATION + "_bucket",
                    with(labels, "le", "+Inf")), "+Inf bucket " + labels);
        }
        int total = sent.byOperationAndCode.values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(total, delta(before, after, REQUESTS, Map.of()), "no other request counted");
        assertEquals(4, sent.count(EMBEDDINGS, 400));
        assertEquals(2, sent.count(EMBEDDINGS, 413));
        assertEquals(2, sent.count(EMBEDDINGS, 415));
        assertEquals(2, sent.count(EMBEDDINGS, 422));
        assertEquals(2, sent.count(EMBEDDINGS, 503));

        assertEquals(1, delta(before, after, REFUSALS, Map.of("reason", "upload_budget")));
        assertEquals(1, delta(before, after, REFUSALS, Map.of("reason", "queue_full")));
        assertEquals(0, delta(before, after, REFUSALS, Map.of("reason", "queue_timeout")));
        assertEquals(0, delta(before, after, REFUSALS, Map.of("reason", "model_not_ready")));

        for (String stage : List.of("decode", "resample", "features", "inference")) {
            assertEquals(filesEmbedded, delta(before, after, STAGES + "_count", Map.of("stage", stage)), stage);
        }
        assertEquals(slotsTaken, delta(before, after, STAGES + "_count", Map.of("stage", "queue")), "queue");
        assertEquals(bodiesRead, delta(before, after, STAGES + "_count", Map.of("stage", "upload")), "upload");
        assertHistogramsConsistent(after);
    }

    /** Waits until the long request holds the gate's only place (read from the gauge, as an operator would). */
    private static void awaitPlaceTaken(CompletableFuture<?> holder) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !holder.isDone()) {
            if (scrape().single("speaker_embedding_admission_places_taken", Map.of()) >= 1) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    /** Buckets cumulative and ending at the count, for every histogram series of the application. */
    private static void assertHistogramsConsistent(PrometheusText text) {
        Map<String, List<PrometheusText.Sample>> series = new LinkedHashMap<>();
        for (PrometheusText.Sample s : text.samples()) {
            if (s.name().startsWith("speaker_embedding_") && s.name().endsWith("_bucket")) {
                Map<String, String> rest = new LinkedHashMap<>(s.labels());
                rest.remove("le");
                series.computeIfAbsent(s.name() + rest, k -> new ArrayList<>()).add(s);
            }
        }
        assertTrue(series.size() >= 6, "histogram series: " + series.keySet());
        for (Map.Entry<String, List<PrometheusText.Sample>> e : series.entrySet()) {
            List<PrometheusText.Sample> buckets = new ArrayList<>(e.getValue());
            buckets.sort((a, b) -> Double.compare(le(a), le(b)));
            assertTrue(buckets.size() >= 9, "buckets from milliseconds to tens of seconds: " + e.getKey());
            for (int i = 1; i < buckets.size(); i++) {
                assertTrue(buckets.get(i).value() >= buckets.get(i - 1).value(), "cumulative: " + e.getKey());
            }
            PrometheusText.Sample inf = buckets.get(buckets.size() - 1);
            assertEquals(Double.POSITIVE_INFINITY, le(inf));
            String base = inf.name().substring(0, inf.name().length() - "_bucket".length());
            Map<String, String> labels = new LinkedHashMap<>(inf.labels());
            labels.remove("le");
            assertEquals(inf.value(), text.single(base + "_count", labels), e.getKey());
        }
    }

    private static double le(PrometheusText.Sample s) {
        String le = s.labels().get("le");
        return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> out = new HashMap<>(labels);
        out.put(key, value);
        return out;
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, Map<String, String> labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    @Test
    void theModelAndTheRuntimeAreDescribed() throws Exception {
        PrometheusText m = scrape();
        System.out.println("MetricsIT application series:\n" + m.text().lines()
                .filter(l -> l.contains("speaker_embedding_") && !l.contains("quantile="))
                .collect(java.util.stream.Collectors.joining("\n")));
        for (String state : List.of("starting", "checking_cache", "downloading", "loading", "waiting_to_retry",
                "failed", "stopped")) {
            assertEquals(0, m.single("speaker_embedding_model_state", Map.of("state", state)), state);
        }
        assertEquals(1, m.single("speaker_embedding_model_state", Map.of("state", "ready")));
        assertEquals(1, m.single("speaker_embedding_model_info", Map.of("model", ServerTestSupport.REPO,
                "revision", hub.commit(ServerTestSupport.REPO), "family", "speechbrain-ecapa")));
        double load = m.single("speaker_embedding_model_load_seconds", Map.of());
        double conversion = m.single("speaker_embedding_model_conversion_seconds", Map.of());
        assertTrue(conversion > 0 && conversion < load, "converted at this start, within the load: " + conversion
                + " of " + load);
        // Every byte of the cache's blobs came over the network once, at this start.
        long blobBytes;
        try (Stream<Path> blobs = Files.list(ServerTestSupport.repoDir(tmp.resolve("cache")).resolve("blobs"))) {
            blobBytes = blobs.mapToLong(p -> p.toFile().length()).sum();
        }
        assertEquals(blobBytes, m.single("speaker_embedding_model_download_bytes_total", Map.of()));
        assertEquals(0, m.single("speaker_embedding_model_download_retries_total", Map.of()));
        assertEquals(1, m.single("speaker_embedding_admission_places", Map.of()));
        // The budget is never below MAX_REQUEST_BYTES (one upload of the largest size always fits).
        assertEquals(Math.max(MAX_BUFFERED_UPLOAD_BYTES, MAX_REQUEST_BYTES),
                m.single("speaker_embedding_upload_buffer_capacity_bytes", Map.of()));
        for (String state : List.of("enrolled", "enrolling", "needs_reenrollment")) {
            assertEquals(0, m.single("speaker_embedding_profiles", Map.of("state", state)), "no profiles: " + state);
        }
        // Liberty's own: base (JVM) and vendor (server) metrics in the same scrape.
        assertTrue(m.samples().stream().anyMatch(s -> "base".equals(s.labels().get("mp_scope"))), "base metrics");
        assertTrue(m.samples().stream().anyMatch(s -> "vendor".equals(s.labels().get("mp_scope"))),
                "vendor metrics");
        List<String> quantiles = m.text().lines().filter(l -> l.startsWith("speaker_embedding_")
                && l.contains("quantile=")).toList();
        assertEquals(List.of(), quantiles, "no client-side quantiles: Prometheus computes them from the buckets");
    }

    /**
     * A second server whose Hub fails its first two requests and then sends slowly: the retries are counted exactly,
     * and every embedding asked for before the model serves is refused as model_not_ready, and counted.
     */
    @Test
    void retriesAndRefusalsWhileTheModelLoadsAreCounted() throws Exception {
        try (HubStandIn slowHub = HubStandIn.start()) {
            serveSmallModel(slowHub, false);
            slowHub.failNext(2, 503);
            slowHub.setSlowdown(java.time.Duration.ofMillis(250), 32 * 1024);
            Path cache = tmp.resolve("slow-cache");
            try (LibertyServer loading = LibertyServer.start(env(slowHub, cache), tmp.resolve("loading"))) {
                loading.awaitStarted();
                byte[] speech = Wavs.speechLike(1);
                int refused = 0;
                long deadline = System.nanoTime() + ServerTestSupport.READY_TIMEOUT.toNanos();
                while (!ServerTestSupport.json(loading.get("/v1/status").body()).getString("state").equals("READY")) {
                    assertTrue(System.nanoTime() < deadline, "model never ready: " + loading.get("/v1/status").body());
                    HttpResponse<String> r = loading.post("/v1/embeddings", "audio/wav", speech);
                    if (r.statusCode() == 200) {
                        break;
                    }
                    assertProblem(r, 503, "model_not_ready");
                    refused++;
                    TimeUnit.MILLISECONDS.sleep(300);
                }
                assertTrue(refused >= 1, "the download takes seconds: requests meanwhile are refused");
                loading.awaitReady(ServerTestSupport.READY_TIMEOUT);
                HttpResponse<String> scraped = loading.get("/metrics");
                assertEquals(200, scraped.statusCode());
                PrometheusText m = PrometheusText.parse(scraped.body());
                assertEquals(refused, m.single(REFUSALS, Map.of("reason", "model_not_ready")));
                assertEquals(refused, m.sum(REQUESTS, Map.of("operation", EMBEDDINGS, "code", "503")));
                assertEquals(2, m.single("speaker_embedding_model_download_retries_total", Map.of()));
                long blobBytes;
                try (Stream<Path> blobs = Files.list(ServerTestSupport.repoDir(cache).resolve("blobs"))) {
                    blobBytes = blobs.mapToLong(p -> p.toFile().length()).sum();
                }
                assertEquals(blobBytes, m.single("speaker_embedding_model_download_bytes_total", Map.of()));
                assertEquals(1, m.single("speaker_embedding_model_state", Map.of("state", "ready")));
                System.out.println("MetricsIT loading server: " + refused + " refused while loading, load "
                        + m.single("speaker_embedding_model_load_seconds", Map.of()) + " s");
            }
        }
    }

    @Test
    void answersThatRunTheModelCarryServerTiming() throws Exception {
        byte[] speech = Wavs.speechLike(1);
        List<HttpResponse<String>> answers = new ArrayList<>();
        List<Double> clientMillis = new ArrayList<>();
        for (int kind = 0; kind < 4; kind++) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = switch (kind) {
                case 0 -> embed(server, speech);
                case 1 -> ApiCalls.post(server, "/v1/embeddings", Multipart.of(Part.file("files", "a.wav", speech),
                        Part.file("files", "b.wav", speech)));
                case 2 -> ApiCalls.post(server, "/v1/verify", Multipart.of(Part.file("a", "a.wav", speech),
                        Part.file("b", "b.wav", Wavs.speechLike(0.7))));
                default -> server.post("/v1/identify", "audio/wav", speech);
            };
            clientMillis.add((System.nanoTime() - t0) / 1e6);
            assertEquals(200, r.statusCode(), kind + ": " + r.body());
            answers.add(r);
        }
        for (int i = 0; i < answers.size(); i++) {
            String header = answers.get(i).headers().firstValue("Server-Timing").orElseThrow(
                    () -> new AssertionError("no Server-Timing"));
            Map<String, Double> parts = serverTiming(header);
            assertEquals(List.of("upload", "queue", "decode", "resample", "features", "inference", "total"),
                    List.copyOf(parts.keySet()), header);
            double sum = 0;
            for (Map.Entry<String, Double> p : parts.entrySet()) {
                assertTrue(p.getValue() >= 0 && Double.isFinite(p.getValue()), header);
                sum += p.getKey().equals("total") ? 0 : p.getValue();
            }
            double total = parts.get("total");
            // Each part is rounded to a microsecond: six roundings may add up to 3 µs.
            assertTrue(sum <= total + 0.003, "parts " + sum + " ms within total " + total + " ms: " + header);
            assertTrue(parts.get("inference") > 0, header);
            assertTrue(total <= clientMillis.get(i), "total " + total + " ms within the client's "
                    + clientMillis.get(i) + " ms: " + header);
            System.out.println("Server-Timing " + i + ": " + header + " (client " + clientMillis.get(i) + " ms)");
        }
        // A refusal before the body is read carries the header too, with only the total.
        HttpResponse<String> bad = server.post("/v1/embeddings?colour=blue", "audio/wav", speech);
        assertEquals(400, bad.statusCode());
        assertEquals(List.of("total"), List.copyOf(serverTiming(bad.headers().firstValue("Server-Timing")
                .orElseThrow()).keySet()));
        assertTrue(server.get("/v1/status").headers().firstValue("Server-Timing").isEmpty(), "only where documented");
    }

    /** {@code name;dur=1.5, ...} in order. */
    static Map<String, Double> serverTiming(String header) {
        Map<String, Double> parts = new LinkedHashMap<>();
        for (String entry : header.split(",")) {
            String[] fields = entry.strip().split(";");
            Double dur = null;
            for (int i = 1; i < fields.length; i++) {
                String f = fields[i].strip();
                if (f.startsWith("dur=")) {
                    dur = Double.parseDouble(f.substring(4));
                }
            }
            assertTrue(dur != null, "no dur in '" + entry + "' of " + header);
            parts.put(fields[0].strip(), dur);
        }
        return parts;
    }
}
