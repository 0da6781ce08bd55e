package dev.speakerembedding.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.BenchUtil.median;

/**
 * The whole benchmark, run by {@code scripts/benchmark.sh}: starts the Hub stand-in as its own process serving the
 * full-size checkpoint, runs the in-process benchmarks in processes of their own, starts real Liberty servers (the
 * service, and the same server without the application) from a private copy of the installed server, drives them
 * with the load generator in another process, and writes every figure to {@code results.properties}, then the
 * table and the plot ({@link BenchmarkReport}).
 *
 * <p>Options: {@code --out <dir> --wlp <Liberty install> --server-template <installed server dir> --model
 * <snapshot dir> --conformance <dir> [--starts 3] [--seconds 20] [--warmup 5] [--soak 5000] [--runs 40]
 * [--levels 1,2,4,8] [--sweep] [--quick] [--family-runs 20]
 * [--only download,pipeline,threads,families,int8,firststart,warmstart,http,profiles] [--int8-runs 30]
 * [--profile-sizes 10000,100000,1000000] [--profile-runs 101] [--profile-server-sizes 10000,100000,1000000]
 * [--profile-server-reps 40]
 * [--server-override <server.xml fragment>]}. The classpath comes from CLASSPATH and is inherited by every
 * child JVM.
 */
public final class BenchmarkSuite {

    static final String REPO_ID = "speechbrain/spkrec-ecapa-voxceleb";
    static final String APP_SERVER = "speakerEmbedding";
    static final String NO_APP_SERVER = "noApplication";
    /** Service settings passed from the suite's environment to the benchmarked server (for tuning runs). */
    static final List<String> PASS_THROUGH = List.of("ONNX_INTRA_OP_THREADS", "MAX_CONCURRENT_INFERENCES",
            "MAX_QUEUED_REQUESTS", "QUEUE_TIMEOUT_MS");

    private final Map<String, String> args;
    private final Path out;
    private final Path run;
    private final BenchUtil.Results results = new BenchUtil.Results();
    private final List<String> ranParts = new ArrayList<>();
    private Process standIn;
    private String endpoint;

    private BenchmarkSuite(Map<String, String> args) {
        this.args = args;
        this.out = Path.of(args.getOrDefault("--out", "target/benchmark")).toAbsolutePath();
        this.run = out.resolve("run");
    }

    public static void main(String[] argv) throws Exception {
        BenchmarkSuite suite = new BenchmarkSuite(PipelineBenchmark.parse(argv));
        int status = 0;
        try {
            suite.runAll();
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        } finally {
            suite.stopStandIn();
        }
        System.exit(status);
    }

    private boolean quick() {
        return args.containsKey("--quick");
    }

    private int intArg(String name, int normal, int quick) {
        return Integer.parseInt(args.getOrDefault(name, Integer.toString(quick() ? quick : normal)));
    }

    private void runAll() throws Exception {
        Instant started = Instant.now();
        Files.createDirectories(run);
        results.put("suite.started", started.toString());
        results.put("suite.load_before", BenchUtil.loadAverage());
        results.put("suite.cores", Runtime.getRuntime().availableProcessors());
        results.put("suite.quick", quick() ? "yes" : "no");
        Path model = Path.of(PipelineBenchmark.require(args, "--model"));
        Path conformance = Path.of(PipelineBenchmark.require(args, "--conformance"));
        Path userDir = prepareUserDir(Path.of(PipelineBenchmark.require(args, "--server-template")));
        Path wlp = Path.of(PipelineBenchmark.require(args, "--wlp"));
        Path clip3 = run.resolve("clip-3s-16k-mono.wav");
        Files.write(clip3, Clips.mono16k(conformance, 3));

        startStandIn(model);

        if (phase("download")) {
            log("== item 2: download through the Hub stand-in, conversion (in process)");
            child("download", DownloadBenchmark.class, "--endpoint", endpoint, "--repo", REPO_ID,
                    "--work", run.resolve("download-work").toString(), "--reps",
                    Integer.toString(intArg("--reps", 3, 2)));
        }

        if (phase("pipeline")) {
            log("== item 3: pipeline, bare session and MatMul floor (in process)");
            List<String> pipelineArgs = new ArrayList<>(List.of("--model", model.toString(), "--conformance",
                    conformance.toString(), "--runs", Integer.toString(intArg("--runs", 40, 15)),
                    "--throughput-seconds", Integer.toString(intArg("--throughput-seconds", 10, 4))));
            if (args.containsKey("--sweep")) {
                pipelineArgs.add("--sweep");
            }
            child("pipeline", PipelineBenchmark.class, pipelineArgs.toArray(String[]::new));
        }

        if (phase("threads")) {
            log("== item 3c: ways to share the cores between concurrent runs (bare ONNX Runtime, in process)");
            String seconds = Integer.toString(intArg("--threads-seconds", 6, 3));
            String converted = run.resolve("threads-converted").toString();
            child("threads", ThreadingBenchmark.class, "--model", model.toString(), "--converted", converted,
                    "--seconds", seconds);
            child("threads_global", ThreadingBenchmark.class, "--model", model.toString(), "--converted", converted,
                    "--seconds", seconds, "--global-pool");
            child("threads_global_nospin", ThreadingBenchmark.class, "--model", model.toString(), "--converted",
                    converted, "--seconds", seconds, "--global-pool", "--no-spin");
        }

        if (phase("families")) {
            log("== item 3b: one model of each sherpa-onnx family, front end vs ONNX Runtime (in process)");
            List<String> familyArgs = new ArrayList<>(List.of("--conformance", conformance.toString(), "--runs",
                    Integer.toString(intArg("--family-runs", 20, 5))));
            if (quick()) {
                familyArgs.add("--quick");
            }
            child("families", FamilyBenchmark.class, familyArgs.toArray(String[]::new));
        }

        if (phase("int8")) {
            log("== item 3c: MODEL_PRECISION=int8 against float32, cosines and throughput (in process)");
            child("int8", Int8Benchmark.class, "--model", model.toString(), "--conformance",
                    conformance.toString(), "--runs", Integer.toString(intArg("--int8-runs", 30, 10)));
        }

        Path cache = run.resolve("model-cache");
        Map<String, String> appEnv = new LinkedHashMap<>();
        appEnv.put("MODEL_CACHE_DIR", cache.toString());
        appEnv.put("HF_ENDPOINT", endpoint);
        appEnv.put("EMBEDDING_MODEL", REPO_ID);
        for (String k : PASS_THROUGH) {
            if (System.getenv(k) != null) {
                appEnv.put(k, System.getenv(k));
                results.put("server.env." + k, System.getenv(k));
            }
        }
        Path appOut = run.resolve("server-app");
        Path noAppOut = run.resolve("server-noapp");

        if (phase("firststart") || !Files.isDirectory(cache)) {
            log("== item 2: first start of the service (empty cache, model from the Hub stand-in)");
            BenchUtil.deleteRecursively(cache);
            BenchUtil.deleteRecursively(appOut);
            BenchUtil.deleteRecursively(noAppOut);
            try (BenchServer s = BenchServer.launch(wlp, userDir, APP_SERVER, appOut, appEnv)) {
                double ms = s.awaitReadyMillis(Duration.ofMinutes(5));
                results.put("firststart.ready_ms", ms);
                String messages = s.messages();
                parseDownloadLog(messages);
                parseLoadedLog(messages, "firststart");
                log("first start: ready %.0f ms after launch", ms);
            }
        }

        if (phase("warmstart")) {
            warmStarts(wlp, userDir, appEnv, appOut, noAppOut);
        }

        if (phase("http")) {
            log("== items 4 and 5: HTTP load and memory");
            try (BenchServer s = BenchServer.launch(wlp, userDir, APP_SERVER, appOut, appEnv)) {
                s.awaitReadyMillis(Duration.ofMinutes(3));
                TimeUnit.SECONDS.sleep(2);
                results.put("memory.rss_after_start", s.rssBytes());
                log("RSS after start: %.1f MiB", s.rssBytes() / 1048576.0);
                int soak = intArg("--soak", 5000, 1000);
                if (soak > 0) {
                    child("soak", HttpLoad.class, "--base", s.base().toString(), "--wav", clip3.toString(),
                            "--requests", Integer.toString(soak), "--concurrency", "4", "--rss-pid",
                            Long.toString(s.pid()), "--rss-every", Integer.toString(soak / 5), "--prefix",
                            "memory.soak");
                }
                child("http", HttpLoad.class, "--base", s.base().toString(), "--wav", clip3.toString(), "--levels",
                        args.getOrDefault("--levels", "1,2,4,8"),
                        "--seconds", Integer.toString(intArg("--seconds", 20, 6)),
                        "--warmup", Integer.toString(intArg("--warmup", 5, 2)), "--prefix", "http");
                results.put("memory.rss_end", s.rssBytes());
                results.put("memory.threads_end", BenchUtil.procStatusKb(s.pid(), "Threads:"));
            }
        }
        if (phase("profiles")) {
            profiles(wlp, userDir, appEnv, clip3);
        }
        results.put("suite.load_after", BenchUtil.loadAverage());
        results.put("suite.seconds", Duration.between(started, Instant.now()).toSeconds());
        stopStandIn();

        BenchUtil.Results all = new BenchUtil.Results().putAll(results);
        for (String part : ranParts) {
            all.putAll(BenchUtil.Results.read(run.resolve(part + ".properties")));
        }
        all.write(out.resolve("results.properties"));
        BenchmarkReport.render(all, out);
    }

    private void warmStarts(Path wlp, Path userDir, Map<String, String> appEnv, Path appOut, Path noAppOut)
            throws Exception {
        log("== item 1: warm start, the service against the same server without an application");
        int starts = intArg("--starts", 3, 1);
        // untimed first start of the server without application creates its workarea, as the app's did above
        try (BenchServer s = BenchServer.launch(wlp, userDir, NO_APP_SERVER, noAppOut, Map.of())) {
            s.awaitReadyMillis(Duration.ofMinutes(3));
        }
        double[] noApp = new double[starts];
        double[] app = new double[starts];
        double[] modelLog = new double[starts];
        double[] appDeploy = new double[starts];
        double[] serverLogNoApp = new double[starts];
        double[] serverLogApp = new double[starts];
        for (int i = 0; i < starts; i++) {
            try (BenchServer s = BenchServer.launch(wlp, userDir, NO_APP_SERVER, noAppOut, Map.of())) {
                noApp[i] = s.awaitReadyMillis(Duration.ofMinutes(3));
                serverLogNoApp[i] = logSeconds(SERVER_STARTED, s.messages()) * 1000;
            }
            try (BenchServer s = BenchServer.launch(wlp, userDir, APP_SERVER, appOut, appEnv)) {
                app[i] = s.awaitReadyMillis(Duration.ofMinutes(3));
                modelLog[i] = lastLoadedSeconds(s.messages()) * 1000;
                appDeploy[i] = logSeconds(APP_STARTED, s.messages()) * 1000;
                serverLogApp[i] = logSeconds(SERVER_STARTED, s.messages()) * 1000;
            }
            log("warm start %d: without application %.0f ms, with the model %.0f ms (model loaded in %.0f ms by its"
                    + " log)", i, noApp[i], app[i], modelLog[i]);
        }
        results.put("warmstart.starts", starts);
        results.put("warmstart.noapp_ms", median(noApp));
        results.put("warmstart.app_ms", median(app));
        results.put("warmstart.added_ms", median(app) - median(noApp));
        results.put("warmstart.model_log_ms", median(modelLog));
        results.put("warmstart.app_deploy_log_ms", median(appDeploy));
        results.put("warmstart.noapp_server_log_ms", median(serverLogNoApp));
        results.put("warmstart.app_server_log_ms", median(serverLogApp));
        for (int i = 0; i < starts; i++) {
            results.put("warmstart.run" + i + ".noapp_ms", noApp[i]);
            results.put("warmstart.run" + i + ".app_ms", app[i]);
        }
    }

    /**
     * Speaker profiles (issue 10): search alone in process among 10k, 100k and 1M synthetic profiles (one thread
     * and two, as the server splits it), then identification through real Liberty servers on PostgreSQL among 10k
     * and 100k, and 1M in a full run (1.2 GB of rows written by COPY in about 45 s, a load at start of about 50 s,
     * and a server heap of 3 GB: about 3.5 minutes in all; --quick leaves 1M out), with the index load at start and
     * heap per profile.
     */
    private void profiles(Path wlp, Path userDir, Map<String, String> appEnv, Path clip3) throws Exception {
        log("== issue 10: profile search (in process)");
        // 1M x 192 floats is 768 MB, and the benchmark's copy-on-write figure copies it once more.
        childWithJvm("profiles-search", List.of("-Xmx4g"), ProfileIndexBenchmark.class, "--sizes",
                args.getOrDefault("--profile-sizes", "10000,100000,1000000"), "--runs",
                Integer.toString(intArg("--profile-runs", 101, 31)));
        log("== issue 10: identification through the server, profiles in PostgreSQL");
        int[] sizes = java.util.Arrays.stream(args.getOrDefault("--profile-server-sizes",
                quick() ? "10000,100000" : "10000,100000,1000000")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        String heap = java.util.Arrays.stream(sizes).max().orElse(0) > 200_000 ? "-Xmx3g" : "-Xmx768m";
        ProfileServerBenchmark.run(wlp, userDir, appEnv, clip3, run, results, sizes,
                intArg("--profile-server-reps", 40, 15), heap);
    }

    /**
     * Whether a phase runs: all of them unless --only names some
     * (download,pipeline,threads,families,int8,firststart,warmstart,http,profiles).
     */
    private boolean phase(String name) {
        String only = args.get("--only");
        return only == null || only.isEmpty() || List.of(only.split(",")).contains(name);
    }

    /**
     * A private WLP_USER_DIR: the installed server (server.xml, jvm.options, server.env, lib/global, the war in
     * dropins) copied as {@value #APP_SERVER}, and the same configuration without any application as
     * {@value #NO_APP_SERVER}.
     */
    private Path prepareUserDir(Path template) throws IOException {
        Path userDir = run.resolve("wlp-usr");
        BenchUtil.deleteRecursively(userDir);
        for (String name : List.of(APP_SERVER, NO_APP_SERVER)) {
            Path target = userDir.resolve("servers").resolve(name);
            try (Stream<Path> files = Files.walk(template)) {
                for (Path p : files.toList()) {
                    String rel = template.relativize(p).toString();
                    if (rel.startsWith("workarea") || rel.startsWith("logs") || rel.startsWith("apps")
                            || (rel.startsWith("dropins") && name.equals(NO_APP_SERVER))) {
                        continue;
                    }
                    Path dest = target.resolve(rel);
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(dest);
                    } else {
                        Files.createDirectories(dest.getParent());
                        Files.copy(p, dest, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Files.createDirectories(target.resolve("dropins"));
            String override = args.get("--server-override");
            if (override != null && !override.isEmpty()) {
                // a tuning experiment: Liberty configuration merged over server.xml (configDropins/overrides)
                Path dir = Files.createDirectories(target.resolve("configDropins/overrides"));
                Files.copy(Path.of(override), dir.resolve("benchmark-override.xml"),
                        StandardCopyOption.REPLACE_EXISTING);
                results.put("server.override", Files.readString(Path.of(override)).replaceAll("\\s+", " ").trim());
            }
        }
        if (!Files.isRegularFile(userDir.resolve("servers").resolve(APP_SERVER).resolve("dropins/speaker-embedding.war"))) {
            throw new IllegalStateException("no speaker-embedding.war in " + template.resolve("dropins")
                    + ": build first (scripts/benchmark.sh does)");
        }
        return userDir;
    }

    private void startStandIn(Path model) throws Exception {
        Path log = run.resolve("hub-stand-in.log");
        Files.deleteIfExists(log);
        ProcessBuilder pb = new ProcessBuilder(javaCommand(), "-Xmx1g",
                "dev.speakerembedding.testing.hubstandin.HubStandIn", "--repo", REPO_ID + "=" + model);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        standIn = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!standIn.isAlive()) {
                throw new IllegalStateException("the Hub stand-in exited: " + Files.readString(log));
            }
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("HUB_STANDIN_ENDPOINT=")) {
                    endpoint = line.substring("HUB_STANDIN_ENDPOINT=".length()).trim();
                    log("Hub stand-in (pid %d) serves %s at %s", standIn.pid(), model, endpoint);
                    return;
                }
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("the Hub stand-in did not start: " + Files.readString(log));
    }

    private void stopStandIn() {
        if (standIn != null && standIn.isAlive()) {
            standIn.destroy();
            try {
                standIn.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            standIn.destroyForcibly();
        }
    }

    /** Runs a benchmark class in a JVM of its own (CLASSPATH inherited); its results go to run/NAME.properties. */
    private void child(String name, Class<?> main, String... childArgs) throws Exception {
        childWithJvm(name, List.of(), main, childArgs);
    }

    private void childWithJvm(String name, List<String> jvmArgs, Class<?> main, String... childArgs)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(javaCommand(), "-Djava.awt.headless=true"));
        command.addAll(jvmArgs);
        command.add(main.getName());
        command.addAll(List.of(childArgs));
        command.addAll(List.of("--out", run.resolve(name + ".properties").toString()));
        Files.deleteIfExists(run.resolve(name + ".properties"));
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        Process p = pb.start();
        int status = p.waitFor();
        if (status != 0) {
            throw new IllegalStateException(name + " (" + main.getSimpleName() + ") failed with exit status " + status);
        }
        ranParts.add(name);
    }

    static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static final Pattern DOWNLOADED = Pattern.compile(
            "Downloaded embedding_model\\.ckpt: ([0-9.]+) MB in ([0-9.]+) s \\(([0-9.]+) MB/s\\)");
    /** Liberty's own figures: CWWKF0011I (server started in X s), CWWKZ0001I (application started in X s). */
    static final Pattern SERVER_STARTED = Pattern.compile("CWWKF0011I: .* started in ([0-9.]+) seconds");
    static final Pattern APP_STARTED = Pattern.compile("CWWKZ0001I: Application speaker-embedding started in ([0-9.]+) seconds");
    private static final Pattern LOADED = Pattern.compile("Model pre-loaded successfully: \\S+ in ([0-9.]+) s");

    private void parseDownloadLog(String messages) {
        Matcher m = DOWNLOADED.matcher(messages);
        if (m.find()) {
            results.put("firststart.ckpt_log_mb_s", Double.parseDouble(m.group(3)));
            results.put("firststart.ckpt_log_s", Double.parseDouble(m.group(2)));
        }
    }

    private void parseLoadedLog(String messages, String prefix) {
        double s = lastLoadedSeconds(messages);
        if (!Double.isNaN(s)) {
            results.put(prefix + ".model_log_ms", s * 1000);
        }
    }

    /** The last match of {@code pattern}'s first group in messages.log (it is rewritten at every start), or NaN. */
    static double logSeconds(Pattern pattern, String messages) {
        Matcher m = pattern.matcher(messages);
        double last = Double.NaN;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        return last;
    }

    /** The "pre-loaded in X s" figure of the last start in messages.log (it is rewritten at every start). */
    static double lastLoadedSeconds(String messages) {
        Matcher m = LOADED.matcher(messages);
        double last = Double.NaN;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        return last;
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
