package dev.speakerembedding.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real Open Liberty process running this project's server (installed by the liberty-maven-plugin before the
 * integration tests), with its own environment, port and output directory, so a test can start several, stop
 * them, or kill them with SIGKILL.
 */
public final class LibertyServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final int httpPort;
    private final Path outputDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private LibertyServer(Process process, int httpPort, Path outputDir) {
        this.process = process;
        this.httpPort = httpPort;
        this.outputDir = outputDir;
    }

    /**
     * Launches {@code server run}. Only the variables in {@code env} plus PATH, JAVA_HOME and HOME are passed,
     * so the developer's own HF_* settings never leak into a test.
     */
    public static LibertyServer start(Map<String, String> env, Path outputDir) throws IOException {
        Path wlp = Path.of(System.getProperty("wlp.install.dir", "target/liberty/wlp"));
        String serverName = System.getProperty("liberty.server.name", "speakerEmbedding");
        Path script = wlp.resolve("bin/server");
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException("No Liberty runtime at " + wlp + ": run through `mvn verify`");
        }
        int port = freePort();
        int httpsPort = freePort();
        Files.createDirectories(outputDir);
        Path userDir = privateUserDir(wlp.resolve("usr"), serverName, outputDir.resolve("usr"));
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "run", serverName);
        Map<String, String> penv = pb.environment();
        Map<String, String> keep = new HashMap<>();
        for (String k : List.of("PATH", "JAVA_HOME", "LANG")) {
            if (System.getenv(k) != null) {
                keep.put(k, System.getenv(k));
            }
        }
        penv.clear();
        penv.putAll(keep);
        penv.put("HOME", outputDir.toAbsolutePath().toString());
        penv.put("WLP_OUTPUT_DIR", outputDir.toAbsolutePath().toString());
        penv.put("WLP_USER_DIR", userDir.toAbsolutePath().toString());
        penv.put("HTTP_PORT", Integer.toString(port));
        penv.put("HTTPS_PORT", Integer.toString(httpsPort));
        penv.put("HTTP_HOST", "127.0.0.1");
        penv.putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(outputDir.resolve("console.log").toFile());
        return new LibertyServer(pb.start(), port, outputDir);
    }

    /**
     * Launches any other command that runs a Liberty server (another server's {@code server run}, a packaged server's
     * {@code java -jar}) in {@code workingDir}, with exactly {@code env} as its environment and its output in
     * {@code outputDir}/console.log. {@code httpPort} is the port the command's configuration makes it listen on.
     */
    public static LibertyServer launch(List<String> command, Map<String, String> env, Path workingDir, Path outputDir,
            int httpPort) throws IOException {
        Files.createDirectories(outputDir);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(outputDir.resolve("console.log").toFile());
        return new LibertyServer(pb.start(), httpPort, outputDir);
    }

    /** The launched process itself (for a packaged server, the {@code java -jar} launcher, not the server's JVM). */
    public ProcessHandle launcher() {
        return process.toHandle();
    }

    /**
     * A user directory of this server's own, holding the installed server's configuration, application and
     * libraries (large files hard-linked where the file system allows). Liberty expands the application into its
     * server configuration directory: servers sharing one would rewrite each other's expanded classes while running
     * (seen as a NoClassDefFoundError for a class first loaded after another server started).
     */
    private static Path privateUserDir(Path installedUsr, String serverName, Path target) throws IOException {
        Path from = installedUsr.resolve("servers").resolve(serverName);
        Path to = target.resolve("servers").resolve(serverName);
        if (Files.isDirectory(to)) {
            return target; // a restart with the same output directory keeps its own copy
        }
        try (var files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(source);
                String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
                if (first.equals("workarea") || first.equals("logs") || relative.startsWith(Path.of("apps", "expanded"))) {
                    continue;
                }
                Path dest = to.resolve(relative.toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(dest);
                } else {
                    try {
                        Files.createLink(dest, source);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(source, dest);
                    }
                }
            }
        }
        return target;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public int httpPort() {
        return httpPort;
    }

    /**
     * The process id of the Liberty JVM, for memory figures from /proc: the launched process itself, since
     * {@code server run} execs java, or else its java descendant.
     */
    public long jvmPid() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(process.toHandle()), process.descendants())
                .filter(h -> h.info().command().map(c -> c.endsWith("java")).orElse(false))
                .findFirst().orElse(process.toHandle()).pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public HttpClient http() {
        return http;
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the server answers HTTP at all (the application may still be loading its model). */
    public LibertyServer awaitStarted() throws Exception {
        return awaitResponse("/v1/status", r -> r.statusCode() == 200, START_TIMEOUT);
    }

    /** Waits until /health/ready is UP. */
    public LibertyServer awaitReady(Duration timeout) throws Exception {
        return awaitResponse("/health/ready", r -> r.statusCode() == 200, timeout);
    }

    public LibertyServer awaitResponse(String path, Predicate<HttpResponse<String>> condition, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Liberty exited with " + process.exitValue() + "; console:\n" + console());
            }
            try {
                last = get(path);
                if (condition.test(last)) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting on " + path + "; last answer: "
                + (last == null ? "none" : last.statusCode() + " " + last.body()) + "\nconsole:\n" + tail(console(), 4000));
    }

    public String console() {
        return readQuietly(outputDir.resolve("console.log"));
    }

    /** console.log plus the server's messages.log and trace files: everything the server wrote. */
    public String allLogs() throws IOException {
        StringBuilder sb = new StringBuilder(console());
        if (Files.isDirectory(outputDir)) {
            try (var files = Files.walk(outputDir)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".log") && f.toString().contains("logs")).toList()) {
                    sb.append('\n').append(readQuietly(p));
                }
            }
        }
        return sb.toString();
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s, int chars) {
        return s.length() <= chars ? s : s.substring(s.length() - chars);
    }

    /** SIGKILL to the whole process tree: no shutdown hook, no cleanup, like a node losing power. */
    public void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** A normal stop (SIGTERM), waiting for the JVM to exit. */
    public void stop() throws InterruptedException {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        for (ProcessHandle h : tree) {
            h.onExit().orTimeout(60, TimeUnit.SECONDS).exceptionally(t -> h).join();
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }
}
