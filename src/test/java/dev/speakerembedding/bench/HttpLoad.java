package dev.speakerembedding.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.BenchUtil.median;
import static dev.speakerembedding.bench.BenchUtil.millis;
import static dev.speakerembedding.bench.BenchUtil.quantile;

/**
 * The load generator: a real HTTP client in a process of its own (run it with its own {@code java}), posting one
 * WAV file to {@code /v1/embeddings} from N closed-loop clients (each sends its next request when the previous
 * answer arrived, over its own keep-alive connection), while a prober reads {@code /health/ready} every
 * {@code --probe-ms} (200 ms).
 *
 * <p>Sweep: {@code HttpLoad --base http://127.0.0.1:PORT --wav clip.wav --levels 1,2,4,8 --seconds 20
 * --warmup 5 --out file}. Soak: {@code HttpLoad --base ... --wav clip.wav --requests 5000 --concurrency 4
 * --rss-pid PID --rss-every 1000 --out file} samples the server's resident memory every 1,000 answers.
 */
public final class HttpLoad {

    private static final String EMBEDDINGS = "/v1/embeddings";
    private static final String READY = "/health/ready";

    private final URI base;
    private final byte[] wav;
    private final BenchUtil.Results results = new BenchUtil.Results();
    /**
     * Time between two readiness probes during the load ({@code --probe-ms}, default 200 ms: 5 probes per second,
     * 25 to 50 times a kubelet's rate, enough samples for a p99 over 20 s). A probe costs the server a few ms of CPU
     * (4 to 7 ms measured over fresh connections), so the earlier 20 per second took a share of the 2 cores that a
     * real deployment never spends on probes, and counted it against the HTTP throughput.
     */
    private long probePeriodNanos = 200_000_000L;

    private HttpLoad(URI base, byte[] wav) {
        this.base = base;
        this.wav = wav;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = PipelineBenchmark.parse(args);
        HttpLoad load = new HttpLoad(URI.create(PipelineBenchmark.require(a, "--base")),
                Files.readAllBytes(Path.of(PipelineBenchmark.require(a, "--wav"))));
        Path out = Path.of(PipelineBenchmark.require(a, "--out"));
        String prefix = a.getOrDefault("--prefix", "http");
        load.check();
        if (a.containsKey("--requests")) {
            load.soak(prefix, Integer.parseInt(a.get("--requests")), Integer.parseInt(a.getOrDefault("--concurrency",
                    "4")), Long.parseLong(PipelineBenchmark.require(a, "--rss-pid")),
                    Integer.parseInt(a.getOrDefault("--rss-every", "1000")));
        } else {
            double seconds = Double.parseDouble(a.getOrDefault("--seconds", "20"));
            load.probePeriodNanos = Long.parseLong(a.getOrDefault("--probe-ms", "200")) * 1_000_000L;
            load.results.put(prefix + ".probe_ms", load.probePeriodNanos / 1_000_000L);
            double warmup = Double.parseDouble(a.getOrDefault("--warmup", "5"));
            for (String level : a.getOrDefault("--levels", "1,2,4,8").split(",")) {
                load.level(prefix, Integer.parseInt(level.trim()), warmup, seconds);
            }
        }
        load.results.write(out);
        log("wrote %s", out);
        System.exit(0);
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpRequest embedRequest() {
        return HttpRequest.newBuilder(base.resolve(EMBEDDINGS)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "audio/wav").POST(HttpRequest.BodyPublishers.ofByteArray(wav)).build();
    }

    private void check() throws Exception {
        HttpResponse<String> r = client().send(embedRequest(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().contains("embedding")) {
            throw new IllegalStateException("the server does not embed: " + r.statusCode() + " " + r.body());
        }
    }

    /** One concurrency level: warm-up, then {@code seconds} of measured load with the readiness prober. */
    private void level(String prefix, int clients, double warmupSeconds, double seconds) throws Exception {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupSeconds * 1e9);
        long measureTo = measureFrom + (long) (seconds * 1e9);
        List<double[]> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        AtomicLong lastEnd = new AtomicLong(measureFrom);
        CountDownLatch done = new CountDownLatch(clients);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                HttpClient http = client();
                HttpRequest request = embedRequest();
                try {
                    while (true) {
                        long a = System.nanoTime();
                        if (a >= measureTo) {
                            break;
                        }
                        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        long b = System.nanoTime();
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                            if (failures.size() < 5) {
                                failures.add(r.statusCode() + " " + new String(r.body()));
                            }
                        } else if (a >= measureFrom) {
                            latencies.add(new double[]{millis(b - a)});
                            lastEnd.accumulateAndGet(b, Math::max);
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    failures.add(e.toString());
                } finally {
                    done.countDown();
                }
            }, "client-" + c);
            t.setDaemon(true);
            t.start();
        }
        Prober prober = new Prober(measureFrom, measureTo);
        prober.start();
        done.await();
        prober.join();
        double[] l = latencies.stream().mapToDouble(x -> x[0]).toArray();
        double elapsed = (lastEnd.get() - measureFrom) / 1e9;
        String key = prefix + ".c" + clients;
        results.put(key + ".requests", l.length);
        results.put(key + ".errors", errors.get());
        results.put(key + ".rps", l.length / elapsed);
        results.put(key + ".p50_ms", median(l));
        results.put(key + ".p90_ms", quantile(l, 0.90));
        results.put(key + ".p99_ms", quantile(l, 0.99));
        results.put(key + ".max_ms", quantile(l, 1.0));
        double[] h = prober.latencies();
        results.put(key + ".ready_samples", h.length);
        results.put(key + ".ready_not_up", prober.notUp.get());
        results.put(key + ".ready_p50_ms", median(h));
        results.put(key + ".ready_p99_ms", quantile(h, 0.99));
        results.put(key + ".ready_max_ms", quantile(h, 1.0));
        log("%2d clients: %5d requests, %6.2f req/s, p50 %6.1f ms, p99 %6.1f ms, errors %d; /health/ready p50 %.2f ms"
                        + " p99 %.2f ms max %.1f ms (%d probes, %d not UP)%s", clients, l.length, l.length / elapsed,
                median(l), quantile(l, 0.99), errors.get(), median(h), quantile(h, 0.99), quantile(h, 1.0), h.length,
                prober.notUp.get(), failures.isEmpty() ? "" : "; first failures: " + failures);
    }

    /** Probes /health/ready at a fixed rate between two instants, over its own connection. */
    private final class Prober extends Thread {
        private final long from;
        private final long to;
        private final List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger notUp = new AtomicInteger();

        Prober(long from, long to) {
            super("ready-prober");
            setDaemon(true);
            this.from = from;
            this.to = to;
        }

        @Override
        public void run() {
            HttpClient http = client();
            HttpRequest request = HttpRequest.newBuilder(base.resolve(READY)).timeout(Duration.ofSeconds(10)).GET()
                    .build();
            long period = probePeriodNanos;
            try {
                // a few untimed probes open the connection and warm the path
                for (int i = 0; i < 5; i++) {
                    http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                }
                long next = Math.max(from, System.nanoTime());
                while (next < to) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    long a = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    latencies.add(millis(System.nanoTime() - a));
                    if (r.statusCode() != 200) {
                        notUp.incrementAndGet();
                    }
                    next += period;
                }
            } catch (Exception e) {
                notUp.incrementAndGet();
            }
        }

        double[] latencies() {
            return latencies.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** {@code total} requests from {@code clients} clients, sampling the server's RSS every {@code every} answers. */
    private void soak(String prefix, int total, int clients, long pid, int every) throws Exception {
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long[] rss = new long[total / every + 1];
        rss[0] = BenchUtil.rssBytes(pid);
        log("soak: RSS before the first request %.1f MiB", rss[0] / 1048576.0);
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                HttpClient http = client();
                HttpRequest request = embedRequest();
                try {
                    while (issued.incrementAndGet() <= total) {
                        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        int n = completed.incrementAndGet();
                        if (n % every == 0) {
                            long bytes = BenchUtil.rssBytes(pid);
                            rss[n / every] = bytes;
                            log("soak: %d requests, RSS %.1f MiB", n, bytes / 1048576.0);
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    log("soak client failed: %s", e);
                } finally {
                    done.countDown();
                }
            }, "soak-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        double seconds = (System.nanoTime() - start) / 1e9;
        results.put(prefix + ".requests", completed.get());
        results.put(prefix + ".errors", errors.get());
        results.put(prefix + ".clients", clients);
        results.put(prefix + ".rps", completed.get() / seconds);
        for (int i = 0; i < rss.length; i++) {
            results.put(prefix + ".rss_after_" + (i * every), rss[i]);
        }
    }
}
