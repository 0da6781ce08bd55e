package dev.speakerembedding.bench;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Small helpers shared by the benchmark classes: percentiles, result files, /proc readings. */
final class BenchUtil {

    private BenchUtil() {
    }

    /** The value at quantile {@code q} (0..1) of {@code values}, nearest rank on a sorted copy. */
    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }

    static String fmt(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    /** Results are flat key=value files, one per benchmark process, merged by the suite. */
    static final class Results {
        private final Map<String, String> values = new TreeMap<>();

        Results put(String key, double value) {
            values.put(key, fmt(value));
            return this;
        }

        Results put(String key, long value) {
            values.put(key, Long.toString(value));
            return this;
        }

        Results put(String key, String value) {
            values.put(key, value);
            return this;
        }

        Results putAll(Results other) {
            values.putAll(other.values);
            return this;
        }

        String get(String key) {
            return values.get(key);
        }

        double number(String key) {
            String v = values.get(key);
            return v == null ? Double.NaN : Double.parseDouble(v);
        }

        boolean has(String key) {
            return values.containsKey(key);
        }

        Map<String, String> asMap() {
            return values;
        }

        void write(Path file) throws IOException {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Properties p = new Properties();
            p.putAll(values);
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                // sorted, so the file diffs well between runs
                for (Map.Entry<String, String> e : values.entrySet()) {
                    w.write(e.getKey() + "=" + e.getValue().replace("\\", "\\\\").replace("\n", "\\n") + "\n");
                }
            }
            Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        static Results read(Path file) throws IOException {
            Results r = new Results();
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            p.forEach((k, v) -> r.values.put(k.toString(), v.toString()));
            return r;
        }
    }

    /** Resident set size of a process in bytes (VmRSS), or -1 when it is gone. */
    static long rssBytes(long pid) {
        return procStatusKb(pid, "VmRSS:") * 1024;
    }

    /** A field of /proc/pid/status in kB, or -1. */
    static long procStatusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The 1-minute load average. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%tT] %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
