package dev.speakerembedding.it;

import static dev.speakerembedding.it.ApiCalls.embed;
import static dev.speakerembedding.it.ApiCalls.embeddings;
import static dev.speakerembedding.it.ExistingServerIT.assertAllFinite;
import static dev.speakerembedding.it.ExistingServerIT.norm;
import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged server ({@code mvn package}'s target/speaker-embedding-server.jar) run as a user would run it:
 * {@code java -jar} from a fresh working directory, with no JAVA_HOME and no Liberty installed, only PATH, a HOME,
 * the port variables server.xml reads and the service's own settings. Everything else (runtime, features, server.env,
 * jvm.options, the war, ONNX Runtime, the JDBC drivers) must come from the jar.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunnableJarIT {

    /** Extracting 117 MB and starting the server takes longer than a start from an installed server. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(240);
    private static final long STOP_TIMEOUT_SECONDS = 90;
    private static final double UNIT_NORM_TOLERANCE = 1e-5;
    private static final double SPEECHBRAIN_TOLERANCE = 5e-5;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static Path root;
    private static Set<String> rootEntriesBefore;
    private static Path work;
    private static Path home;
    private static Path extract;
    private static final List<ProcessHandle> serverProcesses = new ArrayList<>();
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        root = Path.of(System.getProperty("project.root", ".")).toAbsolutePath();
        Path jar = Path.of(System.getProperty("liberty.runnable.jar", "target/speaker-embedding-server.jar"));
        assertTrue(Files.isRegularFile(jar), "mvn package builds " + jar);
        rootEntriesBefore = entries(root);
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        work = Files.createDirectories(tmp.resolve("work"));
        home = Files.createDirectories(tmp.resolve("home"));
        extract = tmp.resolve("extract");
        int port = LibertyServer.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv("PATH"));
        env.put("HOME", home.toString());
        env.put("WLP_JAR_EXTRACT_DIR", extract.toString());
        env.put("HTTP_PORT", Integer.toString(port));
        env.put("HTTPS_PORT", Integer.toString(LibertyServer.freePort()));
        env.put("HTTP_HOST", "127.0.0.1");
        env.putAll(ServerTestSupport.env(hub, tmp.resolve("models")));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        server = LibertyServer.launch(List.of(java, "-jar", jar.toAbsolutePath().toString()), env, work,
                tmp.resolve("console"), port);
        try {
            server.awaitReady(READY_TIMEOUT);
        } finally {
            serverProcesses.addAll(server.launcher().descendants().toList());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        // The server's JVM outlives a launcher that died without stopping it: end both, whatever happened.
        if (server != null) {
            serverProcesses.addAll(server.launcher().descendants().toList());
            serverProcesses.forEach(ProcessHandle::destroyForcibly);
            server.kill();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    @Order(1)
    void servesSpeechbrainsEmbeddingAndIsReady() throws Exception {
        HttpResponse<String> r = embed(server, Files.readAllBytes(input("speech_44k1_s16_stereo.wav")));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = json(r.body());
        assertEquals(REPO, body.getString("model"));
        assertEquals(32, body.getInt("dimension"));
        float[] embedding = embeddings(body).get(0);
        assertEquals(32, embedding.length);
        assertAllFinite(embedding);
        float[] expected = Npy.read(Npy.conformanceDir().resolve("expected/small/speech_44k1_s16_stereo.embedding.npy"))
                .data();
        assertTrue(Npy.maxAbsDiff(expected, embedding) <= SPEECHBRAIN_TOLERANCE, "speechbrain's numbers");

        HttpResponse<String> unit = server.post("/v1/embeddings?unit_length=true", "audio/wav",
                Files.readAllBytes(input("chirp_1s.wav")));
        assertEquals(200, unit.statusCode(), unit.body());
        float[] unitVector = embeddings(json(unit.body())).get(0);
        assertAllFinite(unitVector);
        assertEquals(1.0, norm(unitVector), UNIT_NORM_TOLERANCE);

        HttpResponse<String> ready = server.get("/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("UP", json(ready.body()).getString("status"));
        assertTrue(checkData(ready.body()).getBoolean("model_loaded"));
    }

    @Test
    @Order(2)
    void everythingTheServerNeedsCameFromTheJar() throws Exception {
        Path serverDir = extract.resolve("wlp/usr/servers/speakerEmbedding");
        assertTrue(Files.isRegularFile(serverDir.resolve("dropins/speaker-embedding.war")), "extracted into " + extract);
        assertEquals(1, count(serverDir.resolve("lib/global"), "onnxruntime-"), "ONNX Runtime in lib/global");
        assertEquals(1, count(serverDir.resolve("lib/jdbc"), "h2-"));
        assertEquals(1, count(serverDir.resolve("lib/jdbc"), "postgresql-"));
        // server.env's DATA_DIR default ($HOME/.local/share/speaker-embedding) and the dataSource with its drivers.
        server.awaitResponse("/health/ready",
                h -> "available".equals(checkData(h.body()).getString("profile_store", "")), Duration.ofSeconds(60));
        assertTrue(Files.isRegularFile(home.resolve(".local/share/speaker-embedding/profiles.mv.db")),
                "the embedded database where server.env's default puts it");
        // jvm.options: the server runs in a JVM of its own, started with them.
        List<String> serverJvmArguments = server.launcher().descendants()
                .map(h -> h.info().arguments().map(List::of).orElse(List.of()))
                .filter(a -> a.stream().anyMatch(s -> s.contains("ws-server.jar") || s.contains("ws-javaagent.jar")))
                .findFirst().orElse(List.of());
        for (String option : jvmOptions()) {
            assertTrue(serverJvmArguments.contains(option), option + " in " + serverJvmArguments);
        }
    }

    @Test
    @Order(3)
    void sigtermStopsTheServerAndLeavesNothingInTheRepository() throws Exception {
        List<ProcessHandle> tree = server.launcher().descendants().toList();
        assertFalse(tree.isEmpty(), "the server runs in a child JVM");
        // SIGTERM to the java -jar process alone, as a service manager or Ctrl-C would send it.
        assertTrue(server.launcher().destroy(), "SIGTERM sent");
        assertTrue(server.launcher().onExit().orTimeout(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .handle((h, t) -> t == null).join(), "java -jar exited");
        for (ProcessHandle child : tree) {
            assertTrue(child.onExit().orTimeout(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .handle((h, t) -> t == null).join(), "no process left behind: " + child.info().command());
        }
        String log = server.console();
        assertTrue(log.contains("CWWKE0036I"), "the server stopped normally (CWWKE0036I):\n" + log);
        assertEquals(rootEntriesBefore, entries(root), "nothing new in the repository's top level");
        try (Stream<Path> files = Files.list(work)) {
            assertEquals(List.of(), files.toList(), "nothing in the working directory");
        }
        assertTrue(Files.isDirectory(extract.resolve("wlp")), "the server ran from WLP_JAR_EXTRACT_DIR");
    }

    private static Path input(String name) {
        return Npy.conformanceDir().resolve("inputs").resolve(name);
    }

    private static List<String> jvmOptions() throws IOException {
        return Files.readAllLines(root.resolve("liberty/config/jvm.options")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    private static long count(Path dir, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).count();
        }
    }

    private static Set<String> entries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            files.forEach(f -> names.add(f.getFileName().toString()));
            return names;
        }
    }
}
