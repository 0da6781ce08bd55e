package dev.speakerembedding.bench;

import dev.speakerembedding.testing.LibertyServer;

import java.io.IOException;
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

/**
 * A Liberty process for the benchmark. Like {@link LibertyServer} (same environment handling: only PATH,
 * JAVA_HOME and LANG pass through, HOME and WLP_OUTPUT_DIR point at its own directory, the port is free), but it
 * runs a named server from a user directory of the suite's own ({@code WLP_USER_DIR}), so a concurrent
 * {@code mvn verify} that redeploys {@code target/liberty} cannot change the server under measurement, and it
 * exposes what the suite measures: the launch instant and the JVM's pid (Liberty's {@code server run} execs the
 * JVM, so it is the launched process itself) for resident memory.
 */
final class BenchServer implements AutoCloseable {

    private final Process process;
    private final long launchNanos;
    private final int port;
    private final Path outputDir;
    private final String serverName;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private BenchServer(Process process, long launchNanos, int port, Path outputDir, String serverName) {
        this.process = process;
        this.launchNanos = launchNanos;
        this.port = port;
        this.outputDir = outputDir;
        this.serverName = serverName;
    }

    static BenchServer launch(Path wlp, Path userDir, String serverName, Path outputDir, Map<String, String> env)
            throws IOException {
        int port = LibertyServer.freePort();
        int httpsPort = LibertyServer.freePort();
        Files.createDirectories(outputDir);
        ProcessBuilder pb = new ProcessBuilder(wlp.resolve("bin/server").toString(), "run", serverName);
        Map<String, String> keep = new HashMap<>();
        for (String k : List.of("PATH", "JAVA_HOME", "LANG")) {
            if (System.getenv(k) != null) {
                keep.put(k, System.getenv(k));
            }
        }
        Map<String, String> penv = pb.environment();
        penv.clear();
        penv.putAll(keep);
        penv.put("HOME", outputDir.toAbsolutePath().toString());
        penv.put("WLP_USER_DIR", userDir.toAbsolutePath().toString());
        penv.put("WLP_OUTPUT_DIR", outputDir.toAbsolutePath().toString());
        penv.put("HTTP_PORT", Integer.toString(port));
        penv.put("HTTPS_PORT", Integer.toString(httpsPort));
        penv.put("HTTP_HOST", "127.0.0.1");
        penv.putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(outputDir.resolve("console.log").toFile()));
        long launch = System.nanoTime();
        Process process = pb.start();
        return new BenchServer(process, launch, port, outputDir, serverName);
    }

    URI base() {
        return URI.create("http://127.0.0.1:" + port);
    }

    long pid() {
        return process.pid();
    }

    double millisSinceLaunch() {
        return (System.nanoTime() - launchNanos) / 1e6;
    }

    long rssBytes() {
        return BenchUtil.rssBytes(process.pid());
    }

    /**
     * Polls /health/ready every 25 ms (often enough for the resolution the start-up figures need, rarely enough not
     * to slow the start it measures: every DOWN answer is also a warning line in messages.log); returns milliseconds
     * from launch to the first 200.
     */
    double awaitReadyMillis(Duration timeout) throws Exception {
        HttpRequest ready = HttpRequest.newBuilder(base().resolve("/health/ready")).timeout(Duration.ofSeconds(5))
                .GET().build();
        long deadline = launchNanos + timeout.toNanos();
        String last = "none";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(serverName + " exited with " + process.exitValue() + "; see "
                        + outputDir.resolve("console.log"));
            }
            try {
                HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - launchNanos) / 1e6;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            TimeUnit.MILLISECONDS.sleep(25);
        }
        throw new IllegalStateException(serverName + " not ready after " + timeout.toSeconds() + " s; last answer: "
                + last + "; see " + outputDir);
    }

    /** The server's messages.log (empty when not written yet). */
    String messages() {
        try {
            return Files.readString(outputDir.resolve(serverName).resolve("logs/messages.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** A normal stop (SIGTERM to the JVM, which runs Liberty's shutdown), then SIGKILL if it hangs. */
    void stop() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
