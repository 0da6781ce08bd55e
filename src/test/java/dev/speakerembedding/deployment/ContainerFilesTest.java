package dev.speakerembedding.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so the Dockerfile and docker-compose.yml are checked by reading them: what they copy
 * exists (or is built by `mvn package`), and ports, paths and names agree with server.xml, the pom and the config.
 */
class ContainerFilesTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "."));

    private static List<String> dockerInstructions() throws Exception {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
            String t = line.strip();
            if (t.startsWith("#") && current.isEmpty()) {
                continue;
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            current.append(t);
            if (!current.toString().isBlank()) {
                out.add(current.toString().strip());
            }
            current.setLength(0);
        }
        return out;
    }

    @Test
    void dockerfileFollowsOpenLibertyImageConventions() throws Exception {
        List<String> ins = dockerInstructions();
        List<String> froms = ins.stream().filter(i -> i.startsWith("FROM ")).toList();
        assertTrue(froms.get(froms.size() - 1).startsWith("FROM icr.io/appcafe/open-liberty:kernel-slim"),
                "runtime stage on Open Liberty's kernel-slim image: " + froms);
        int lastFrom = ins.lastIndexOf(froms.get(froms.size() - 1));
        List<String> runtime = ins.subList(lastFrom, ins.size());
        assertTrue(runtime.contains("RUN features.sh"), "features.sh installs server.xml's features");
        assertEquals("RUN configure.sh", runtime.get(runtime.size() - 1), "configure.sh is the last step");
        int copyServerXml = runtime.indexOf("COPY --chown=1001:0 server.xml /config/");
        assertTrue(copyServerXml >= 0 && copyServerXml < runtime.indexOf("RUN features.sh"),
                "server.xml is copied before features.sh reads it");
        assertTrue(runtime.contains("EXPOSE 5001"));
        assertTrue(runtime.contains("VOLUME /app/models"));
        assertTrue(runtime.contains("VOLUME /app/data"), "the profile database has a volume of its own");
        List<String> users = runtime.stream().filter(i -> i.startsWith("USER ")).toList();
        assertTrue(users.isEmpty() || users.get(users.size() - 1).equals("USER 1001"),
                "the server runs as the base image's user 1001: " + users);
        int mkdir = runtime.stream().filter(i -> i.contains("mkdir -p /app/data") && i.contains("chown 1001"))
                .findFirst().map(runtime::indexOf).orElse(-1);
        assertTrue(mkdir >= 0 && mkdir < runtime.indexOf("VOLUME /app/data"),
                "the data directory exists, owned by the server's user, before it is declared a volume");
        assertTrue(String.join("\n", runtime).contains("DATA_DIR=/app/data"));
        assertTrue(String.join("\n", runtime).contains("/config/lib/jdbc/"), "the JDBC drivers are where server.xml's library reads them");
        assertTrue(String.join("\n", runtime).contains("MODEL_CACHE_DIR=/app/models"));
        assertTrue(String.join("\n", ins).contains("scripts/download-embedding-model.sh"),
                "the model is downloaded at build time with the pre-download script");
        assertTrue(String.join("\n", ins).contains("ARG DOWNLOAD_MODEL=true"), "a build argument turns it off");
    }

    @Test
    void everythingTheDockerfileCopiesExistsOrIsBuiltByMavenPackage() throws Exception {
        Pattern copy = Pattern.compile("^COPY (?:--\\S+ )*(.+) (\\S+)$");
        String finalName = pomValue("finalName");
        for (String i : dockerInstructions()) {
            Matcher m = copy.matcher(i);
            if (!m.matches()) {
                continue;
            }
            boolean fromBuild = i.contains("--from=build");
            for (String source : m.group(1).split(" ")) {
                if (fromBuild) {
                    assertTrue(source.startsWith("/build/target/") || source.equals("/app/models"), source);
                    if (source.endsWith(".war")) {
                        assertEquals("/build/target/" + finalName + ".war", source, "war name = pom finalName");
                    }
                    if (source.contains("jdbc-lib")) {
                        assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("${project.build.directory}/jdbc-lib"));
                    }
                    if (source.contains("cli-lib")) {
                        assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("${project.build.directory}/cli-lib"));
                    }
                } else {
                    assertTrue(Files.exists(ROOT.resolve(source)), "COPY source exists: " + source);
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeServiceVolumeAndPortAgreeWithImageAndServer() throws Exception {
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        Map<String, Object> service = (Map<String, Object>) services.get("embedding-service");
        assertTrue(service != null, "service embedding-service");
        assertTrue(((Map<String, Object>) compose.get("volumes")).containsKey("embedding_models"));
        assertTrue(((List<String>) service.get("volumes")).contains("embedding_models:/app/models"));
        assertTrue(((Map<String, Object>) compose.get("volumes")).containsKey("embedding_data"));
        assertTrue(((List<String>) service.get("volumes")).contains("embedding_data:/app/data"),
                "the profile database has a volume of its own, not the model cache's");
        assertTrue(((List<String>) service.get("ports")).contains("5001:5001"));
        Map<String, String> env = (Map<String, String>) service.get("environment");
        assertEquals("/app/models", env.get("MODEL_CACHE_DIR"));
        assertEquals("/app/data", env.get("DATA_DIR"));
        for (String name : List.of("PROFILE_DB_URL", "PROFILE_DB_USER", "PROFILE_DB_PASSWORD")) {
            assertTrue(!env.containsKey(name), "compose does not pass " + name + " empty over the embedded default");
        }
        for (String name : List.of("HF_HUB_OFFLINE", "HF_TOKEN", "HF_ENDPOINT", "EMBEDDING_MODEL", "MODEL_REVISION")) {
            assertTrue(env.containsKey(name), "compose passes " + name);
        }
    }

    @Test
    void portIsOneValueEverywhere() throws Exception {
        Document server = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("server.xml").toFile());
        NodeList variables = server.getElementsByTagName("variable");
        String serverDefault = null;
        for (int i = 0; i < variables.getLength(); i++) {
            Element v = (Element) variables.item(i);
            if (v.getAttribute("name").equals("http.port")) {
                serverDefault = v.getAttribute("defaultValue");
            }
        }
        assertEquals("5001", serverDefault, "server.xml's http.port default");
        assertEquals("5001", pomValue("http.port"), "pom's http.port");
        Element endpoint = (Element) server.getElementsByTagName("httpEndpoint").item(0);
        assertEquals("${http.port}", endpoint.getAttribute("httpPort"));
        assertTrue(Files.readString(ROOT.resolve("Dockerfile")).contains("HTTP_PORT=5001"));
        assertTrue(Files.readString(ROOT.resolve("docker-compose.yml")).contains("http://localhost:5001/health/ready"));
    }

    @Test
    void serverXmlFeaturesAreTheOnesTheApplicationUses() throws Exception {
        String xml = Files.readString(ROOT.resolve("server.xml"));
        for (String feature : List.of("restfulWS-3.1", "jsonb-3.0", "cdi-4.0", "mpConfig-3.1", "mpHealth-4.0", "mpOpenAPI-4.1",
                "jdbc-4.3", "servlet-6.0", "mpMetrics-5.1")) {
            assertTrue(xml.contains("<feature>" + feature + "</feature>"), feature);
        }
        Document server = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("server.xml").toFile());
        assertEquals(0, server.getElementsByTagName("webApplication").getLength(),
                "deployed through dropins: no <webApplication> pointing at a missing file");
        assertTrue(Files.exists(ROOT.resolve("src/main/webapp/WEB-INF/ibm-web-ext.xml")), "context root set by the app");
        NodeList metrics = server.getElementsByTagName("mpMetrics");
        assertEquals(1, metrics.getLength(), "one <mpMetrics>");
        assertEquals("false", ((Element) metrics.item(0)).getAttribute("authentication"),
                "Prometheus scrapes /metrics without a login (README \"Metrics and per-request timings\")");
    }

    private static String pomValue(String tag) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(tag) + ">([^<]+)</" + Pattern.quote(tag) + ">")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertTrue(m.find(), "pom has " + tag);
        return m.group(1).strip();
    }

    @Test
    void theProfileDataSourceIsValidWithNothingConfigured() throws Exception {
        Document server = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(ROOT.resolve("server.xml").toFile());
        Map<String, String> defaults = new java.util.HashMap<>();
        NodeList variables = server.getElementsByTagName("variable");
        for (int i = 0; i < variables.getLength(); i++) {
            Element v = (Element) variables.item(i);
            defaults.put(v.getAttribute("name"), v.getAttribute("defaultValue"));
        }
        assertTrue(defaults.get("PROFILE_DB_URL").startsWith("jdbc:h2:file:${DATA_DIR}/"),
                "embedded H2 in DATA_DIR by default: " + defaults.get("PROFILE_DB_URL"));
        // The server's H2 must be opened as the store's tests open it: without WRITE_DELAY=0, a killed server loses
        // the commits of its last half second.
        assertEquals("jdbc:h2:file:${DATA_DIR}/" + dev.speakerembedding.profiles.store.EmbeddedDatabase.FILE_NAME
                + dev.speakerembedding.profiles.store.EmbeddedDatabase.URL_OPTIONS + ";DB_CLOSE_ON_EXIT=FALSE",
                defaults.get("PROFILE_DB_URL"), "the default URL carries EmbeddedDatabase.URL_OPTIONS");
        Element dataSource = (Element) server.getElementsByTagName("dataSource").item(0);
        assertEquals("jdbc/profiles", dataSource.getAttribute("jndiName"));
        assertEquals("java.sql.Driver", dataSource.getAttribute("type"), "the driver is chosen by the URL");
        Element fileset = (Element) server.getElementsByTagName("fileset").item(0);
        assertEquals("${server.config.dir}/lib/jdbc", fileset.getAttribute("dir"));
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        assertTrue(pom.contains("<location>lib/jdbc</location>"), "the pom copies the drivers into lib/jdbc");
        String env = Files.readString(ROOT.resolve("liberty/config/server.env"));
        assertEquals("# enable_variable_expansion", env.lines().findFirst().orElse(""),
                "server.env is sourced, so DATA_DIR's default can fall back on XDG_DATA_HOME and HOME");
        assertTrue(env.contains("DATA_DIR=${DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/speaker-embedding}"));
    }

    @Test
    void jvmOptionsAreAcceptedByThisJvmAndKeepHeapDumpsOff() throws Exception {
        List<String> options = Files.readAllLines(ROOT.resolve("liberty/config/jvm.options")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(options.contains("-XX:-HeapDumpOnOutOfMemoryError"),
                "OpenJ9 dumps the heap (secrets, audio, embeddings) on OutOfMemoryError unless told not to");
        assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"));
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add("-version");
        Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(jvm.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, jvm.waitFor(), "a JVM starts with jvm.options: " + output);
    }
}
