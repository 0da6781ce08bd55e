package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 8 of the reliability issue (long suite): capacity is measured first (closed loop, a few clients, as fast as
 * the server answers), then the server is held at about 80 % of it with an open-loop load (requests sent on a
 * fixed schedule, latency counted from the scheduled time so a stall cannot hide) for
 * {@code reliability.soak.minutes} on loopback. Zero errors are allowed, and resident memory must be flat after
 * warm-up: the mean of the last minute within 64 MB of the mean of the first.
 */
class SoakScenario {

    private static final double MINUTES = Double.parseDouble(System.getProperty("reliability.soak.minutes", "5"));
    private static final int CAPACITY_SECONDS = Integer.getInteger("reliability.soak.capacity.seconds", 30);
    private static final long FLAT_TOLERANCE_KB = 64 * 1024;

    @TempDir
    Path tmp;

    @Test
    void atEightyPercentOfCapacityForMinutesNoRequestFailsAndMemoryStaysFlat() throws Exception {
        Report report = new Report("item8-soak");
        Fixtures.Model model = Fixtures.largestModel();
        byte[] wav = java.nio.file.Files.readAllBytes(
                dev.speakerembedding.testing.Npy.conformanceDir().resolve("inputs/noise_3s.wav"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        try (HubStandIn hub = HubStandIn.start()) {
            Fixtures.serve(hub, model);
            try (LibertyServer server = Fixtures.startReady(Fixtures.env(hub.endpoint(), tmp.resolve("cache"), model),
                    tmp.resolve("server"))) {
                HttpRequest request = HttpRequest.newBuilder(server.uri("/v1/embeddings")).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "audio/wav").POST(HttpRequest.BodyPublishers.ofByteArray(wav)).build();

                // Warm-up and capacity: 4 clients in a closed loop; the first third is warm-up (JIT, ONNX Runtime).
                int clients = 4;
                AtomicInteger done = new AtomicInteger();
                AtomicInteger capacityErrors = new AtomicInteger();
                long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(CAPACITY_SECONDS / 3);
                long measureEnd = warmupEnd + TimeUnit.SECONDS.toNanos(CAPACITY_SECONDS);
                ExecutorService closed = Executors.newFixedThreadPool(clients);
                for (int c = 0; c < clients; c++) {
                    closed.submit(() -> {
                        while (System.nanoTime() < measureEnd) {
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                capacityErrors.incrementAndGet();
                            }
                            if (System.nanoTime() > warmupEnd) {
                                done.incrementAndGet();
                            }
                        }
                        return null;
                    });
                }
                closed.shutdown();
                closed.awaitTermination(CAPACITY_SECONDS * 3L, TimeUnit.SECONDS);
                double capacity = done.get() / (double) CAPACITY_SECONDS;
                double rate = capacity * 0.8;
                report.line("model %s; capacity %.2f requests/s (3 s of audio each, %d closed-loop clients, %d s, %d errors)",
                        model.repoId(), capacity, clients, CAPACITY_SECONDS, capacityErrors.get());

                // The soak: open loop at 80 % of capacity.
                long durationNanos = (long) (MINUTES * 60e9);
                long intervalNanos = (long) (1e9 / rate);
                int total = (int) (durationNanos / intervalNanos);
                List<Long> latenciesMicros = Collections.synchronizedList(new ArrayList<>(total));
                List<Long> responseMicros = Collections.synchronizedList(new ArrayList<>(total));
                Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
                List<long[]> rss = Collections.synchronizedList(new ArrayList<>());
                ExecutorService senders = Executors.newFixedThreadPool(32);
                AtomicLong served = new AtomicLong();
                long start = System.nanoTime();
                List<Double> load = Collections.synchronizedList(new ArrayList<>());
                Thread sampler = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        rss.add(new long[] {System.nanoTime() - start, ProcessMemory.rssKb(server)});
                        load.add(loadAverage());
                        try {
                            Thread.sleep(5000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                sampler.setDaemon(true);
                sampler.start();
                for (int i = 0; i < total; i++) {
                    long scheduled = start + i * intervalNanos;
                    long wait = scheduled - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    senders.submit(() -> {
                        try {
                            long sent = System.nanoTime();
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            latenciesMicros.add((System.nanoTime() - scheduled) / 1000);
                            responseMicros.add((System.nanoTime() - sent) / 1000);
                            if (r.statusCode() == 200) {
                                served.incrementAndGet();
                            } else {
                                errors.computeIfAbsent(Integer.toString(r.statusCode()), k -> new AtomicInteger()).incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    });
                }
                senders.shutdown();
                senders.awaitTermination(2, TimeUnit.MINUTES);
                sampler.interrupt();
                sampler.join();
                double seconds = (System.nanoTime() - start) / 1e9;

                List<Long> sorted = new ArrayList<>(latenciesMicros);
                Collections.sort(sorted);
                int errorCount = errors.values().stream().mapToInt(AtomicInteger::get).sum();
                long firstMinute = meanRss(rss, 0, 60e9);
                long lastMinute = meanRss(rss, Math.max(0, seconds * 1e9 - 60e9), Double.MAX_VALUE);
                long minRss = rss.stream().mapToLong(s -> s[1]).min().orElse(-1);
                long maxRss = rss.stream().mapToLong(s -> s[1]).max().orElse(-1);
                report.line("soak: %.1f min at %.2f requests/s (80%% of capacity): %d requests, %d served, %d errors %s",
                        seconds / 60, rate, total, served.get(), errorCount, new TreeMap<>(errors));
                List<Long> response = new ArrayList<>(responseMicros);
                Collections.sort(response);
                report.line("latency from the scheduled send: p50 %.0f ms, p99 %.0f ms, max %.0f ms (from the actual"
                                + " send: p50 %.0f ms, p99 %.0f ms)", percentile(sorted, 0.50), percentile(sorted, 0.99),
                        percentile(sorted, 1.0), percentile(response, 0.50), percentile(response, 0.99));
                report.line("machine load average (1 min) during the soak: min %.1f, max %.1f on %d cores (other"
                                + " processes included)", load.stream().mapToDouble(Double::doubleValue).min().orElse(-1),
                        load.stream().mapToDouble(Double::doubleValue).max().orElse(-1),
                        Runtime.getRuntime().availableProcessors());
                report.line("JVM resident memory: start %s, end %s (first-minute mean %s, last-minute mean %s, min %s,"
                                + " max %s, %d samples)", ProcessMemory.mb(rss.get(0)[1]),
                        ProcessMemory.mb(rss.get(rss.size() - 1)[1]), ProcessMemory.mb(firstMinute),
                        ProcessMemory.mb(lastMinute), ProcessMemory.mb(minRss), ProcessMemory.mb(maxRss), rss.size());
                // No samples in either minute means memory was not measured: that is not "flat".
                boolean flat = firstMinute > 0 && lastMinute > 0 && lastMinute - firstMinute <= FLAT_TOLERANCE_KB;
                report.write(errorCount == 0 && flat ? "PASS" : "FAIL");
                assertEquals(0, errorCount, "errors during the soak: " + errors);
                assertTrue(flat, "resident memory grew from " + ProcessMemory.mb(firstMinute) + " to "
                        + ProcessMemory.mb(lastMinute));
            }
        }
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long meanRss(List<long[]> samples, double fromNanos, double toNanos) {
        return (long) samples.stream().filter(s -> s[0] >= fromNanos && s[0] <= toNanos).mapToLong(s -> s[1])
                .average().orElse(-1);
    }

    private static double percentile(List<Long> sortedMicros, double p) {
        if (sortedMicros.isEmpty()) {
            return -1;
        }
        int index = (int) Math.min(sortedMicros.size() - 1, Math.ceil(p * sortedMicros.size()) - 1);
        return sortedMicros.get(Math.max(0, index)) / 1000.0;
    }
}
