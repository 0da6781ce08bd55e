package dev.speakerembedding.bench;

import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.store.ProfileId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Executor;

/**
 * Search time of {@link ProfileIndex} among synthetic profiles (random directions, {@link ProfileId} keys as the
 * server holds them), one thread and the scan split in two (as the server runs it on 2 cores), measured alternately on the same index so that load from other processes hits both alike;
 * heap per profile; load and write times; and the cost of the copy a copy-on-write index would make per write.
 *
 * <p>Usage: {@code ProfileIndexBenchmark [--sizes 10000,100000,1000000] [--dim 192] [--runs 51] [--top 5]
 * [--out results.properties]} (the suite's phase "profiles" writes {@code profiles.search.N.*});
 * 1M profiles of 192 values need about {@code -Xmx4g} (index, one copy for the copy-on-write figure, and the
 * load batches).
 */
public final class ProfileIndexBenchmark {

    private static final int LOAD_BATCH = 10_000;
    private static final int WARM_UP_SEARCHES = 30;
    private static final int WRITES = 200;

    private ProfileIndexBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = {10_000, 100_000, 1_000_000};
        int dim = 192;
        int runs = 51;
        int top = 5;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--dim" -> dim = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--top" -> top = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors, flags: " + cpuFlags());
        System.out.println("jvm: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.out.println("load average before: " + loadAverage());
        BenchUtil.Results results = new BenchUtil.Results();
        results.put("profiles.cpu", cpuModel());
        results.put("profiles.cpu_flags", cpuFlags());
        results.put("profiles.search.load_before", BenchUtil.loadAverage());
        results.put("profiles.search.runs", runs);
        results.put("profiles.search.top", top);
        results.put("profiles.search.dim", dim);
        ExecutorService pool = Executors.newFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "scan-helper");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean helperOn = new AtomicBoolean();
        Executor switchable = task -> {
            if (!helperOn.get()) {
                throw new RejectedExecutionException("single-threaded run");
            }
            pool.execute(task);
        };
        System.out.println(String.format(Locale.ROOT, "%9s %5s | %-28s | %-28s | %9s %9s | %9s %9s %9s",
                "profiles", "dim", "search 1 thread ms (med/p90/min)", "search 2 threads ms (med/p90/min)",
                "heap B/p", "matrix B/p", "load ms", "write us", "copy ms"));
        for (int n : sizes) {
            measure(n, dim, runs, top, switchable, helperOn, results);
        }
        System.out.println("load average after: " + loadAverage());
        results.put("profiles.search.load_after", BenchUtil.loadAverage());
        if (out != null) {
            results.write(out);
        }
        pool.shutdownNow();
    }

    private static void measure(int n, int dim, int runs, int top, Executor executor, AtomicBoolean helperOn,
                                BenchUtil.Results results) {
        long heapBefore = usedHeap();
        ProfileIndex<ProfileId> index = new ProfileIndex<>(dim, executor, 2);
        SplittableRandom random = new SplittableRandom(n);
        long loadStart = System.nanoTime();
        index.reserve(n);
        for (int loaded = 0; loaded < n; loaded += LOAD_BATCH) {
            Map<ProfileId, float[]> batch = new LinkedHashMap<>();
            for (int i = loaded; i < Math.min(n, loaded + LOAD_BATCH); i++) {
                batch.put(new ProfileId(new UUID(random.nextLong(), random.nextLong())), randomVector(random, dim));
            }
            index.putAll(batch);
        }
        double loadMs = BenchUtil.millis(System.nanoTime() - loadStart);
        double heapPerProfile = (double) (usedHeap() - heapBefore) / n;

        float[][] probes = new float[16][];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = randomVector(random, dim);
        }
        for (int i = 0; i < WARM_UP_SEARCHES; i++) {
            helperOn.set(i % 2 == 0);
            index.search(probes[i % probes.length], top);
        }
        double[] single = new double[runs];
        double[] split = new double[runs];
        for (int r = 0; r < runs; r++) {
            float[] probe = probes[r % probes.length];
            helperOn.set(false);
            long t = System.nanoTime();
            index.search(probe, top);
            single[r] = BenchUtil.millis(System.nanoTime() - t);
            helperOn.set(true);
            t = System.nanoTime();
            index.search(probe, top);
            split[r] = BenchUtil.millis(System.nanoTime() - t);
        }

        long matrixBytes = index.matrixBytes();
        double[] writes = new double[WRITES];
        List<ProfileId> written = new java.util.ArrayList<>();
        for (int w = 0; w < WRITES; w++) {
            ProfileId id = new ProfileId(new UUID(-1, w));
            float[] v = randomVector(random, dim);
            long t = System.nanoTime();
            index.put(id, v);
            writes[w] = (System.nanoTime() - t) / 1e3;
            written.add(id);
        }
        written.forEach(index::remove);

        float[] matrixSized = new float[n * dim];
        double[] copies = new double[5];
        for (int c = 0; c < copies.length; c++) {
            long t = System.nanoTime();
            float[] copy = Arrays.copyOf(matrixSized, matrixSized.length);
            copies[c] = BenchUtil.millis(System.nanoTime() - t);
            if (copy.length != matrixSized.length) {
                throw new IllegalStateException("copy lost values");
            }
        }
        System.out.println(String.format(Locale.ROOT,
                "%9d %5d | %8.3f %8.3f %8.3f    | %8.3f %8.3f %8.3f    | %9.0f %9d | %9.0f %9.1f %9.1f",
                n, dim, BenchUtil.median(single), BenchUtil.quantile(single, 0.9), min(single),
                BenchUtil.median(split), BenchUtil.quantile(split, 0.9), min(split), heapPerProfile, dim * Float.BYTES,
                loadMs, BenchUtil.median(writes), BenchUtil.median(copies)));
        String k = "profiles.search." + n + ".";
        results.put(k + "one_thread_median_ms", BenchUtil.median(single));
        results.put(k + "one_thread_p95_ms", BenchUtil.quantile(single, 0.95));
        results.put(k + "one_thread_min_ms", min(single));
        results.put(k + "two_threads_median_ms", BenchUtil.median(split));
        results.put(k + "two_threads_p95_ms", BenchUtil.quantile(split, 0.95));
        results.put(k + "two_threads_min_ms", min(split));
        results.put(k + "heap_bytes_per_profile", heapPerProfile);
        results.put(k + "matrix_bytes_per_profile", (double) matrixBytes / n);
        results.put(k + "load_ms", loadMs);
        results.put(k + "write_median_us", BenchUtil.median(writes));
    }

    private static float[] randomVector(SplittableRandom random, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    static String cpuModel() {
        return cpuinfoField("model name");
    }

    /**
     * The flags that decide how fast a float or int8 dot product can run, as /proc/cpuinfo lists them (VNNI and
     * amx_int8 for the int8 kernels of MODEL_PRECISION=int8).
     */
    static String cpuFlags() {
        List<String> flags = Arrays.asList(cpuinfoField("flags").split(" "));
        StringBuilder out = new StringBuilder();
        for (String f : List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16",
                "amx_tile", "amx_bf16", "amx_int8")) {
            out.append(f).append(flags.contains(f) ? "=yes " : "=no ");
        }
        return out.toString().trim();
    }

    private static String cpuinfoField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith(name)) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
