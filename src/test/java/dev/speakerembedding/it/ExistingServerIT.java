package dev.speakerembedding.it;

import static dev.speakerembedding.it.ApiCalls.embed;
import static dev.speakerembedding.it.ApiCalls.embeddings;
import static dev.speakerembedding.it.ServerTestSupport.REPO;
import static dev.speakerembedding.it.ServerTestSupport.checkData;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.deployment.ExistingServerSection;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The war in a Liberty server that is not this project's: a server newly created with {@code server create} from
 * Liberty's Jakarta EE 10 template (as an enterprise team's server would be), in a user directory of its own, and
 * configured only from the README's "Deploying into an existing Liberty server": its server.xml fragment as a
 * configDropins override, its server.env and jvm.options blocks, the war in apps, ONNX Runtime in lib/global and the
 * drivers in lib/jdbc, as the section says. The only other setting is the existing server's own HTTP port.
 */
class ExistingServerIT {

    private static final String SERVER_NAME = "existingServer";
    private static final String TEMPLATE = "jakartaee10";
    /** jakartaee-10.0 resolves and starts many more features than the project's server: a slower first start. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(300);
    private static final double UNIT_NORM_TOLERANCE = 1e-5;
    /** EmbeddingApiIT's tolerance against speechbrain for the same input and model. */
    private static final double SPEECHBRAIN_TOLERANCE = 5e-5;

    private static HubStandIn hub;
    private static LibertyServer server;
    private static ExistingServerSection section;
    private static Path serverDir;
    private static Path cache;
    private static Path dataDir;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void createConfigureAndStart() throws Exception {
        Path root = Path.of(System.getProperty("project.root", "."));
        Path wlp = Path.of(System.getProperty("wlp.install.dir", "target/liberty/wlp"));
        Path war = Path.of(System.getProperty("project.war", "target/speaker-embedding.war"));
        Path target = war.getParent();
        section = ExistingServerSection.read(root.resolve("README.md"));
        hub = HubStandIn.start();
        serveSmallModel(hub, false);

        Path usr = tmp.resolve("usr");
        Map<String, String> base = baseEnvironment();
        base.put("WLP_USER_DIR", usr.toString());
        base.put("WLP_OUTPUT_DIR", tmp.resolve("output").toString());
        base.put("HOME", Files.createDirectories(tmp.resolve("home")).toString());
        run(List.of(wlp.resolve("bin/server").toString(), "create", SERVER_NAME, "--template=" + TEMPLATE), base);
        serverDir = usr.resolve("servers").resolve(SERVER_NAME);
        assertTrue(Files.isRegularFile(serverDir.resolve("server.xml")), "server create made " + serverDir);

        // Step 4: the fragment, as the section suggests, and the war in apps.
        Path overrides = Files.createDirectories(serverDir.resolve("configDropins/overrides"));
        Files.writeString(overrides.resolve("speaker-embedding.xml"), section.serverXml());
        Files.copy(war, Files.createDirectories(serverDir.resolve("apps")).resolve(war.getFileName()));
        // The existing server's own endpoint (9080 in the template): a free port on loopback here.
        int port = LibertyServer.freePort();
        Files.writeString(overrides.resolve("existing-server-endpoint.xml"),
                "<server><httpEndpoint id=\"defaultHttpEndpoint\" host=\"127.0.0.1\" httpPort=\"" + port
                        + "\" httpsPort=\"" + LibertyServer.freePort() + "\"/></server>\n");
        // Steps 2 and 3: the libraries the build made, where the section puts them.
        copyJars(target.resolve("cli-lib"), "onnxruntime-", Files.createDirectories(serverDir.resolve("lib/global")));
        Path jdbc = Files.createDirectories(serverDir.resolve("lib/jdbc"));
        copyJars(target.resolve("jdbc-lib"), "h2-", jdbc);
        copyJars(target.resolve("jdbc-lib"), "postgresql-", jdbc);
        // Step 5: the server.env block, its directories given this test's values.
        cache = tmp.resolve("models");
        dataDir = tmp.resolve("data");
        Map<String, String> values = Map.of("MODEL_CACHE_DIR", cache.toString(), "DATA_DIR", dataDir.toString());
        StringBuilder env = new StringBuilder("\n");
        for (String name : section.serverEnv().keySet()) {
            assertTrue(values.containsKey(name), "the README's server.env block names " + name + ": give it a value here");
            env.append(name).append('=').append(values.get(name)).append('\n');
        }
        Files.writeString(serverDir.resolve("server.env"), env, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        // Step 6: the jvm.options block.
        Files.write(serverDir.resolve("jvm.options"), section.jvmOptions(), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);

        // The model from the Hub stand-in; MODEL_CACHE_DIR comes from server.env, not from here.
        Map<String, String> processEnv = new HashMap<>(base);
        processEnv.putAll(ServerTestSupport.env(hub, tmp.resolve("unused-cache")));
        processEnv.remove("MODEL_CACHE_DIR");
        server = LibertyServer.launch(List.of(wlp.resolve("bin/server").toString(), "run", SERVER_NAME), processEnv,
                tmp, tmp.resolve("console"), port);
        try {
            server.awaitReady(READY_TIMEOUT);
        } catch (Throwable t) {
            server.close();
            throw t;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void servesSpeechbrainsEmbedding() throws Exception {
        HttpResponse<String> r = embed(server, input("speech_44k1_s16_stereo.wav"));
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
    }

    @Test
    void unitLengthEmbeddingHasNormOne() throws Exception {
        HttpResponse<String> r = server.post("/v1/embeddings?unit_length=true", "audio/wav", input("chirp_1s.wav"));
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = json(r.body());
        assertTrue(body.getBoolean("unit_length"));
        float[] embedding = embeddings(body).get(0);
        assertEquals(body.getInt("dimension"), embedding.length);
        assertAllFinite(embedding);
        assertEquals(1.0, norm(embedding), UNIT_NORM_TOLERANCE);
    }

    @Test
    void readyWithTheModelInServerEnvsCacheAndTheProfileDatabaseInItsDataDir() throws Exception {
        HttpResponse<String> r = server.get("/health/ready");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("UP", json(r.body()).getString("status"));
        JsonObject data = checkData(r.body());
        assertTrue(data.getBoolean("model_loaded"));
        assertEquals(cache.toString(), data.getString("cache_dir"), "MODEL_CACHE_DIR from the section's server.env");
        assertTrue(Files.isDirectory(ServerTestSupport.repoDir(cache)), "the model was downloaded into it");
        // The dataSource, its drivers' library and DATA_DIR: the embedded database opened where server.env says.
        server.awaitResponse("/health/ready",
                h -> "available".equals(checkData(h.body()).getString("profile_store", "")), Duration.ofSeconds(60));
        assertTrue(Files.isRegularFile(dataDir.resolve("profiles.mv.db")), "H2 file in DATA_DIR");
    }

    @Test
    void jvmRunsWithTheSectionsOptions() throws Exception {
        List<String> arguments = server.launcher().descendants().map(h -> h.info().arguments())
                .flatMap(a -> a.map(Stream::of).orElseGet(Stream::empty)).toList();
        List<String> all = new ArrayList<>(arguments);
        server.launcher().info().arguments().ifPresent(a -> all.addAll(List.of(a)));
        for (String option : section.jvmOptions()) {
            assertTrue(all.contains(option), option + " in the server JVM's arguments: " + all);
        }
    }

    private static byte[] input(String name) throws IOException {
        return Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(name));
    }

    static void assertAllFinite(float[] v) {
        for (int i = 0; i < v.length; i++) {
            assertTrue(Float.isFinite(v[i]), "component " + i + " is finite");
        }
    }

    static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    /** What a shell would give any command: PATH, JAVA_HOME and LANG of this JVM's environment, nothing else. */
    static Map<String, String> baseEnvironment() {
        Map<String, String> env = new HashMap<>();
        for (String k : List.of("PATH", "JAVA_HOME", "LANG")) {
            if (System.getenv(k) != null) {
                env.put(k, System.getenv(k));
            }
        }
        return env;
    }

    private static void run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished: " + command);
        assertEquals(0, p.exitValue(), command + ": " + out);
    }

    private static void copyJars(Path from, String prefix, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            List<Path> jars = files.filter(f -> f.getFileName().toString().startsWith(prefix)
                    && f.getFileName().toString().endsWith(".jar")).toList();
            assertEquals(1, jars.size(), prefix + "*.jar in " + from + ": " + jars);
            Files.copy(jars.get(0), to.resolve(jars.get(0).getFileName()));
        }
    }
}
