package dev.speakerembedding.reliability;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends fuzz cases to any running server, to replay a failure of {@link WavFuzzIT} or to fuzz a deployment:
 * {@code java -cp target/test-classes:target/classes:<jakarta.json + yasson> dev.speakerembedding.reliability.FuzzMain
 * --url http://127.0.0.1:5001 [--path P] [--seed S] [--from I] [--to J] [--threads N] [--verbose]}.
 * The path is {@code /v1/embeddings} by default; {@code /v1/speakers/<id>/enrollments},
 * {@code /v1/speakers/<id>/verify} and {@code /v1/identify} fuzz the profile endpoints (answers are judged as
 * {@link WavFuzzIT#classifyProfileAnswer}; a fuzzed enrollment that is accepted is stored). Prints one line per
 * failing (or, with --verbose, every) case, then the status counts.
 */
public final class FuzzMain {

    private FuzzMain() {
    }

    public static void main(String[] args) throws Exception {
        URI url = URI.create("http://127.0.0.1:5001");
        String path = "/v1/embeddings";
        long seed = 20_240_611L;
        int from = 0;
        int to = 1000;
        int threads = 4;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = URI.create(args[++i]);
                case "--path" -> path = args[++i];
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--from" -> from = Integer.parseInt(args[++i]);
                case "--to" -> to = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--verbose" -> verbose = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        WavFuzzer fuzzer = new WavFuzzer(seed);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        URI target = url.resolve(path);
        String kind = path.endsWith("/enrollments") ? "enroll" : path.endsWith("/verify") && !path.equals("/v1/verify")
                ? "verify" : path.equals("/v1/identify") ? "identify" : null;
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger(from);
        int last = to;
        boolean print = verbose;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long started = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < last; ) {
                    WavFuzzer.Case c = fuzzer.generate(i);
                    long t0 = System.nanoTime();
                    String outcome;
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                                .header("Content-Type", c.contentType())
                                .POST(HttpRequest.BodyPublishers.ofByteArray(c.body())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        outcome = kind == null ? WavFuzzIT.classify(r) : WavFuzzIT.classifyProfileAnswer(kind, r, 0,
                                Integer.MAX_VALUE);
                    } catch (Exception e) {
                        outcome = "FAIL " + e;
                    }
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    counts.computeIfAbsent(outcome.startsWith("FAIL") ? "FAIL" : outcome, k -> new AtomicInteger())
                            .incrementAndGet();
                    if (print || outcome.startsWith("FAIL")) {
                        System.out.printf("case %d %5d ms %s (%s, %d bytes)%n", i, ms, outcome, c.description(),
                                c.body().length);
                    }
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.DAYS);
        System.out.printf("%d cases in %.1f s%n", to - from, (System.nanoTime() - started) / 1e9);
        new TreeMap<>(counts).forEach((k, v) -> System.out.printf("  %-40s %d%n", k, v.get()));
    }
}
