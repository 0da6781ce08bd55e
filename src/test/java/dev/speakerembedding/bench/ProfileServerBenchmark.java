package dev.speakerembedding.bench;

import dev.speakerembedding.lifecycle.ProfileLifecycle;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import static dev.speakerembedding.bench.BenchUtil.log;

/**
 * Identification through a real Liberty server among N synthetic profiles stored in the machine's PostgreSQL
 * (127.0.0.1:5432, database {@code test}, trust auth), in a schema of its own that is dropped afterwards.
 *
 * <p>The first server migrates the fresh schema (Flyway, as in production) and answers one identification, whose
 * answer names the served model's commit: the synthetic enrollments are then written with that model's identity
 * key, in the store's own format (unit-length float32 little-endian vectors, enough speech to be enrolled), by
 * COPY through JDBC. For each N (cumulative: the rows of 10k stay when 100k are loaded), a new server is started
 * on the database and measured: the index load at start (Liberty's log line "Profile index loaded", and launch to
 * the first identification that scored N profiles), {@code POST /v1/identify} with the WAV (median and p95: the
 * whole request, i.e. reading the WAV, the embedding, the search, the store's count of other models' enrollments
 * and one profile lookup per returned candidate), {@code POST /v1/embeddings} with the same WAV in the same
 * server (the embedding alone, so the difference is what identification adds), and heap after a full GC
 * ({@code jcmd GC.run}, {@code GC.heap_info}) and RSS against the empty server: bytes per profile.
 */
final class ProfileServerBenchmark {

    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    static final int DIMENSION = 192;
    private static final int COPY_BATCH = 20_000;
    private static final Pattern INDEX_LOADED = Pattern.compile(
            "Profile index loaded: ([0-9]+) enrolled of ([0-9]+) profiles with enrollments of the serving model, "
                    + "([0-9]+) ms");
    private static final Pattern HEAP_USED = Pattern.compile("total [0-9]+K, used ([0-9]+)K");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final byte[] wav;
    private final BenchUtil.Results results;

    private ProfileServerBenchmark(byte[] wav, BenchUtil.Results results) {
        this.wav = wav;
        this.results = results;
    }

    /**
     * @param sizes   profiles to identify among, ascending
     * @param reps    timed identifications (and embeddings) per size
     * @param jvmArgs JVM_ARGS of the servers (a heap large enough for the largest size)
     */
    static void run(Path wlp, Path userDir, Map<String, String> appEnv, Path wavFile, Path outDir,
                    BenchUtil.Results results, int[] sizes, int reps, String jvmArgs) throws Exception {
        new ProfileServerBenchmark(Files.readAllBytes(wavFile), results).measure(wlp, userDir, appEnv, outDir, sizes,
                reps, jvmArgs);
    }

    private void measure(Path wlp, Path userDir, Map<String, String> appEnv, Path outDir, int[] sizes, int reps,
                         String jvmArgs) throws Exception {
        String schema = "bench_profiles_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(5));
        try (Connection c = connect(PG_URL); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        log("profiles: PostgreSQL schema %s (dropped at the end)", schema);
        results.put("profiles.server.jvm_args", jvmArgs);
        results.put("profiles.server.reps", reps);
        try {
            Map<String, String> env = new LinkedHashMap<>(appEnv);
            env.put("PROFILE_DB_URL", PG_URL + "?currentSchema=" + schema);
            env.put("PROFILE_DB_USER", "postgres");
            env.put("PROFILE_DB_PASSWORD", "trust-auth");
            env.put("JVM_ARGS", jvmArgs);
            String modelKey;
            long heapEmpty;
            long rssEmpty;
            try (BenchServer s = BenchServer.launch(wlp, userDir, BenchmarkSuite.APP_SERVER,
                    outDir.resolve("server-profiles-0"), env)) {
                s.awaitReadyMillis(Duration.ofMinutes(3));
                JsonObject answer = identifyScoring(s, 0, Duration.ofMinutes(2));
                modelKey = ProfileLifecycle.identity(answer.getString("model"), answer.getString("commit"),
                        DIMENSION).key();
                warmUp(s);
                heapEmpty = heapUsedAfterGc(s.pid());
                rssEmpty = s.rssBytes();
            }
            results.put("profiles.server.0.heap_used_bytes", heapEmpty);
            results.put("profiles.server.0.rss_bytes", rssEmpty);
            int stored = 0;
            for (int n : sizes) {
                long t = System.nanoTime();
                insert(schema, modelKey, stored, n);
                log("profiles: %d synthetic profiles stored (COPY of %d in %.1f s)", n, n - stored,
                        (System.nanoTime() - t) / 1e9);
                stored = n;
                measureSize(wlp, userDir, env, outDir, n, reps, heapEmpty, rssEmpty);
            }
        } finally {
            try (Connection c = connect(PG_URL); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
            log("profiles: schema %s dropped", schema);
        }
    }

    private void measureSize(Path wlp, Path userDir, Map<String, String> env, Path outDir, int n, int reps,
                             long heapEmpty, long rssEmpty) throws Exception {
        String k = "profiles.server." + n + ".";
        try (BenchServer s = BenchServer.launch(wlp, userDir, BenchmarkSuite.APP_SERVER,
                outDir.resolve("server-profiles-" + n), env)) {
            double readyMs = s.awaitReadyMillis(Duration.ofMinutes(3));
            identifyScoring(s, n, Duration.ofMinutes(5));
            double answeredMs = s.millisSinceLaunch();
            Matcher m = INDEX_LOADED.matcher(s.messages());
            double loadLogMs = Double.NaN;
            while (m.find()) {
                if (Integer.parseInt(m.group(1)) == n) {
                    loadLogMs = Double.parseDouble(m.group(3));
                }
            }
            warmUp(s);
            double[] identify = new double[reps];
            double[] embed = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t = System.nanoTime();
                JsonObject a = post(s, "/v1/identify");
                identify[i] = BenchUtil.millis(System.nanoTime() - t);
                if (a.getInt("profiles_scored") != n) {
                    throw new IllegalStateException("identify scored " + a.getInt("profiles_scored") + " of " + n);
                }
                t = System.nanoTime();
                post(s, "/v1/embeddings");
                embed[i] = BenchUtil.millis(System.nanoTime() - t);
            }
            long heap = heapUsedAfterGc(s.pid());
            long rss = s.rssBytes();
            results.put(k + "ready_ms", readyMs);
            results.put(k + "first_identify_ms", answeredMs);
            results.put(k + "index_load_log_ms", loadLogMs);
            results.put(k + "identify_median_ms", BenchUtil.median(identify));
            results.put(k + "identify_p95_ms", BenchUtil.quantile(identify, 0.95));
            results.put(k + "embed_median_ms", BenchUtil.median(embed));
            results.put(k + "embed_p95_ms", BenchUtil.quantile(embed, 0.95));
            results.put(k + "heap_used_bytes", heap);
            results.put(k + "rss_bytes", rss);
            results.put(k + "heap_bytes_per_profile", (double) (heap - heapEmpty) / n);
            results.put(k + "rss_bytes_per_profile", (double) (rss - rssEmpty) / n);
            log("profiles: %d through the server: index loaded in %.0f ms (log), first identification %.0f ms after"
                            + " launch (ready at %.0f ms); identify median %.1f ms p95 %.1f ms, embeddings alone median"
                            + " %.1f ms; heap %.0f B/profile, RSS %.0f B/profile", n, loadLogMs, answeredMs, readyMs,
                    BenchUtil.median(identify), BenchUtil.quantile(identify, 0.95), BenchUtil.median(embed),
                    (double) (heap - heapEmpty) / n, (double) (rss - rssEmpty) / n);
        }
    }

    private void warmUp(BenchServer s) throws Exception {
        for (int i = 0; i < 5; i++) {
            post(s, "/v1/identify");
            post(s, "/v1/embeddings");
        }
    }

    /** Identifies until an answer has scored {@code n} profiles (the index is loaded), or fails at the timeout. */
    private JsonObject identifyScoring(BenchServer s, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "none";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = send(s, "/v1/identify");
            if (r.statusCode() == 200) {
                JsonObject a = json(r.body());
                if (a.getInt("profiles_scored") == n) {
                    return a;
                }
            }
            last = r.statusCode() + " " + r.body();
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new IllegalStateException("no identification among " + n + " profiles within " + timeout.toSeconds()
                + " s; last answer " + last);
    }

    private JsonObject post(BenchServer s, String path) throws Exception {
        HttpResponse<String> r = send(s, path);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return json(r.body());
    }

    private HttpResponse<String> send(BenchServer s, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(s.base().resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "audio/wav").POST(HttpRequest.BodyPublishers.ofByteArray(wav)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(String body) {
        try (var reader = Json.createReader(new StringReader(body))) {
            return reader.readObject();
        }
    }

    /** Heap in use after a full collection, by the JVM's own report (jcmd; the server runs as this user). */
    static long heapUsedAfterGc(long pid) throws Exception {
        jcmd(pid, "GC.run");
        Matcher m = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
        if (!m.find()) {
            throw new IllegalStateException("no heap figure in jcmd GC.heap_info of " + pid);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path java = Path.of(BenchmarkSuite.javaCommand());
        Path jcmd = java.resolveSibling("jcmd");
        Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid),
                command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + out);
        }
        return out;
    }

    /**
     * Profiles {@code from} until {@code to}, each with one enrollment of the served model (a random unit vector,
     * 30 s of speech: enrolled under the default 20 s), in the store's format.
     */
    static void insert(String schema, String modelKey, int from, int to) throws SQLException, IOException {
        SplittableRandom random = new SplittableRandom(from * 31L + to);
        try (Connection c = connect(PG_URL + "?currentSchema=" + schema)) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            String now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString();
            for (int start = from; start < to; start += COPY_BATCH) {
                int end = Math.min(to, start + COPY_BATCH);
                StringBuilder profiles = new StringBuilder();
                StringBuilder enrollments = new StringBuilder();
                for (int i = start; i < end; i++) {
                    UUID id = new UUID(0x5EED_0000_0000_0000L | i, random.nextLong());
                    profiles.append(id).append("\t\\N\t\\N\t").append(now).append('\t').append(now).append('\n');
                    enrollments.append(new UUID(random.nextLong(), random.nextLong())).append('\t').append(id)
                            .append('\t').append(modelKey).append('\t').append(DIMENSION).append("\t\\\\x")
                            .append(HexFormat.of().formatHex(unitVectorBytes(random))).append("\t30\t30\t")
                            .append(now).append('\n');
                }
                copy.copyIn("COPY profiles (id, external_id, metadata, created_at, updated_at) FROM STDIN",
                        new StringReader(profiles.toString()));
                copy.copyIn("COPY enrollments (id, profile_id, model_identity, dimension, embedding, duration_seconds,"
                        + " speech_seconds, created_at) FROM STDIN", new StringReader(enrollments.toString()));
            }
        }
    }

    private static byte[] unitVectorBytes(SplittableRandom random) {
        double[] v = new double[DIMENSION];
        double squares = 0;
        for (int i = 0; i < DIMENSION; i++) {
            v[i] = random.nextDouble() * 2 - 1;
            squares += v[i] * v[i];
        }
        double norm = Math.sqrt(squares);
        ByteBuffer b = ByteBuffer.allocate(DIMENSION * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putFloat((float) (x / norm));
        }
        return b.array();
    }

    private static Connection connect(String url) throws SQLException {
        try {
            return DriverManager.getConnection(url, "postgres", "");
        } catch (SQLException e) {
            throw new SQLException("PostgreSQL is not reachable at " + url + " (user postgres, trust auth): "
                    + e.getMessage() + "; start the machine's cluster (pg_ctlcluster 15 main start)", e);
        }
    }
}
