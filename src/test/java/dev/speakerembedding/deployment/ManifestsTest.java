package dev.speakerembedding.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.config.ServiceConfig;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.Yaml;

/**
 * No cluster runs here, so the manifests in deploy/ are held against the application by reading them: every file
 * parses, and ports, probe paths, environment names, the cache mount, memory and secrets agree with server.xml,
 * ServiceConfig, jvm.options, the Dockerfile and the measurements README "Deploying" reports; the
 * OpenLibertyApplication says what the Deployment says.
 */
class ManifestsTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "."));
    private static final Path DEPLOY = ROOT.resolve("deploy");

    /**
     * Memory a server uses outside its heap, measured by deploy/measure-startup.sh on the HotSpot JVM the README's
     * figures come from (README "Deploying", Sizing): after 400 embedding requests of 3 s clips from 2 clients, the
     * server's resident memory (874 MiB) minus its committed heap (294 MiB) was 580 MiB (ONNX Runtime's weights and
     * arenas, two sessions of the model since threads adapt to the load, metaspace, code cache, thread stacks; with
     * one session, ONNX_INTRA_OP_THREADS=1, 463 MiB). The limit must hold the whole heap plus this.
     */
    static final long NATIVE_MIB_MEASURED = 580;

    /**
     * The slowest launch-to-/health/started measured by deploy/measure-startup.sh, on a 2-core machine shared with
     * other builds at a load average of about 17 (README "Deploying", Probe timings). The startup probe must wait at
     * least twice that before it gives up, or a busy node would restart servers that are merely slow to start.
     */
    static final double SLOWEST_START_SECONDS_MEASURED = 180.7;

    /**
     * Environment variables that are not ServiceConfig's or server.xml's, each documented by whoever reads it.
     * JAVA_OPTS: scripts/download-embedding-model.sh passes it to the pre-download JVM (the initContainer's heap).
     * JVM_ARGS: Liberty's server script adds it to the server JVM's options (README "Reliability", trust store).
     * WLP_LOGGING_CONSOLE_*: Liberty's console logging (server.env sets two; the Open Liberty Operator sets them too).
     */
    static final Set<String> OTHER_DOCUMENTED_VARIABLES = Set.of("JAVA_OPTS", "JVM_ARGS",
            "WLP_LOGGING_CONSOLE_FORMAT", "WLP_LOGGING_CONSOLE_LOGLEVEL", "WLP_LOGGING_CONSOLE_SOURCE");

    /** Values that must only ever come from a Secret. */
    static final Set<String> SECRET_VARIABLES = Set.of("HF_TOKEN", "PROFILE_DB_URL", "PROFILE_DB_USER",
            "PROFILE_DB_PASSWORD");

    /** What the pre-download must agree on with the server, or it fills the cache with a model nobody serves. */
    static final List<String> MODEL_VARIABLES = List.of("MODEL_CACHE_DIR", "EMBEDDING_MODEL", "MODEL_REVISION",
            "MODEL_FILE", "MODEL_FAMILY", "HF_ENDPOINT");

    // ---- the files ----

    static List<Path> manifestFiles() throws IOException {
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .toList();
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> documents(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(file))) {
            if (doc != null) {
                assertTrue(doc instanceof Map, file + ": every document is a mapping");
                out.add((Map<String, Object>) doc);
            }
        }
        return out;
    }

    static Map<String, Object> only(String dir, String kind) throws IOException {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Path f : manifestFiles()) {
            if (f.getParent().getFileName().toString().equals(dir)) {
                documents(f).stream().filter(d -> kind.equals(d.get("kind"))).forEach(found::add);
            }
        }
        assertEquals(1, found.size(), "one " + kind + " in deploy/" + dir);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String... path) {
        Object cur = node;
        for (String key : path) {
            assertTrue(cur instanceof Map, "a mapping above " + key + " in " + String.join(".", path));
            cur = ((Map<String, Object>) cur).get(key);
            assertNotNull(cur, String.join(".", path) + " is set");
        }
        return (T) cur;
    }

    static Map<String, Object> deployment() throws IOException {
        return only("kubernetes", "Deployment");
    }

    static Map<String, Object> application() throws IOException {
        return only("openliberty", "OpenLibertyApplication");
    }

    static Map<String, Object> serverContainer() throws IOException {
        List<Map<String, Object>> containers = at(deployment(), "spec", "template", "spec", "containers");
        assertEquals(1, containers.size(), "one server container per pod");
        return containers.get(0);
    }

    static Map<String, Object> initContainer(Map<String, Object> podOrSpec) {
        List<Map<String, Object>> inits = at(podOrSpec, "initContainers");
        assertEquals(1, inits.size(), "one initContainer: the pre-download");
        return inits.get(0);
    }

    static Map<String, Object> deploymentPod() throws IOException {
        return at(deployment(), "spec", "template", "spec");
    }

    /** Every env list in deploy/: of the Deployment's containers and the OpenLibertyApplication's. */
    static Map<String, List<Map<String, Object>>> allEnvLists() throws IOException {
        Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
        Map<String, Object> pod = deploymentPod();
        out.put("Deployment server", at(serverContainer(), "env"));
        out.put("Deployment initContainer", at(initContainer(pod), "env"));
        Map<String, Object> spec = at(application(), "spec");
        out.put("OpenLibertyApplication server", at(spec, "env"));
        out.put("OpenLibertyApplication initContainer", at(initContainer(spec), "env"));
        return out;
    }

    static Map<String, Map<String, Object>> byName(List<Map<String, Object>> env) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map<String, Object> e : env) {
            assertTrue(out.put((String) e.get("name"), e) == null, "env " + e.get("name") + " set once");
        }
        return out;
    }

    static String value(List<Map<String, Object>> env, String name) {
        Map<String, Object> e = byName(env).get(name);
        return e == null ? null : (String) e.get("value");
    }

    // ---- the application's own values ----

    static int serverHttpPort() throws Exception {
        NodeList variables = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(ROOT.resolve("server.xml").toFile()).getElementsByTagName("variable");
        for (int i = 0; i < variables.getLength(); i++) {
            Element v = (Element) variables.item(i);
            if (v.getAttribute("name").equals("http.port")) {
                return Integer.parseInt(v.getAttribute("defaultValue"));
            }
        }
        throw new AssertionError("server.xml defines http.port");
    }

    /** Environment names MicroProfile Config maps to ServiceConfig's properties (non-alphanumerics to _, upper case). */
    static Set<String> serviceConfigVariables() {
        Set<String> names = new TreeSet<>();
        for (Field f : ServiceConfig.class.getDeclaredFields()) {
            ConfigProperty p = f.getAnnotation(ConfigProperty.class);
            if (p != null) {
                names.add(p.name().replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
            }
        }
        assertTrue(names.contains("MODEL_CACHE_DIR") && names.contains("MP_JWT_VERIFY_ISSUER"), names.toString());
        return names;
    }

    /** server.xml's variables, which Liberty also reads from the environment by the same rule (http.port: HTTP_PORT). */
    static Set<String> serverXmlVariables() throws Exception {
        Set<String> names = new TreeSet<>();
        NodeList variables = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(ROOT.resolve("server.xml").toFile()).getElementsByTagName("variable");
        for (int i = 0; i < variables.getLength(); i++) {
            names.add(((Element) variables.item(i)).getAttribute("name").replaceAll("[^A-Za-z0-9]", "_")
                    .toUpperCase(Locale.ROOT));
        }
        assertTrue(names.contains("PROFILE_DB_PASSWORD") && names.contains("HTTP_PORT"), names.toString());
        return names;
    }

    static String dockerfileEnv(String name) throws IOException {
        Matcher m = Pattern.compile("\\b" + name + "=(\\S+)").matcher(Files.readString(ROOT.resolve("Dockerfile")));
        assertTrue(m.find(), "the Dockerfile sets " + name);
        return m.group(1);
    }

    static long mebibytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Mi|Gi)").matcher(quantity);
        assertTrue(m.matches(), "memory written in Mi or Gi: " + quantity);
        return Long.parseLong(m.group(1)) * (m.group(2).equals("Gi") ? 1024 : 1);
    }

    /** -Xmx in MiB from a list of JVM options; MaxRAMPercentage applied to the limit when it is used instead. */
    static long heapMib(List<String> options, long limitMib) {
        long heap = -1;
        for (String o : options) {
            Matcher x = Pattern.compile("-Xmx(\\d+)([mMgG])").matcher(o);
            if (x.matches()) {
                heap = Long.parseLong(x.group(1)) * (x.group(2).equalsIgnoreCase("g") ? 1024 : 1);
            }
            Matcher p = Pattern.compile("-XX:MaxRAMPercentage=([0-9.]+)").matcher(o);
            if (p.matches() && heap < 0) {
                heap = (long) Math.ceil(limitMib * Double.parseDouble(p.group(1)) / 100);
            }
        }
        assertTrue(heap > 0, "a maximum heap is set: " + options);
        return heap;
    }

    static List<String> jvmOptions() throws IOException {
        return Files.readAllLines(ROOT.resolve("liberty/config/jvm.options")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    // ---- the tests ----

    @Test
    void everyManifestParsesAndEachDirectoryListsAllOfItsFiles() throws Exception {
        List<Path> files = manifestFiles();
        assertTrue(files.size() >= 7, "manifests found: " + files);
        for (Path f : files) {
            List<Map<String, Object>> docs = documents(f);
            assertFalse(docs.isEmpty(), f + " holds a document");
            for (Map<String, Object> d : docs) {
                assertTrue(d.get("apiVersion") instanceof String && d.get("kind") instanceof String,
                        f + ": apiVersion and kind");
                if (!"Kustomization".equals(d.get("kind"))) {
                    assertTrue(at(d, "metadata", "name") instanceof String, f + ": metadata.name");
                }
            }
        }
        for (String dir : List.of("kubernetes", "openliberty")) {
            Path kustomization = DEPLOY.resolve(dir).resolve("kustomization.yaml");
            List<String> listed = at(documents(kustomization).get(0), "resources");
            Set<String> present = new TreeSet<>();
            for (Path f : files) {
                if (f.getParent().equals(DEPLOY.resolve(dir)) && !f.equals(kustomization)) {
                    present.add(f.getFileName().toString());
                }
            }
            assertEquals(present, new TreeSet<>(listed), "deploy/" + dir + "/kustomization.yaml lists every manifest");
        }
    }

    @Test
    void everyPortIsTheServersHttpPort() throws Exception {
        int port = serverHttpPort();
        assertEquals(5001, port);
        assertTrue(Files.readString(ROOT.resolve("Dockerfile")).contains("EXPOSE " + port));
        List<Map<String, Object>> ports = at(serverContainer(), "ports");
        assertEquals(1, ports.size());
        assertEquals(port, ports.get(0).get("containerPort"));
        Map<String, Object> service = only("kubernetes", "Service");
        List<Map<String, Object>> servicePorts = at(service, "spec", "ports");
        assertEquals(1, servicePorts.size());
        assertEquals(port, servicePorts.get(0).get("port"));
        Object target = servicePorts.get(0).get("targetPort");
        assertTrue(target.equals(port) || target.equals(ports.get(0).get("name")),
                "the Service targets the container's port: " + target);
        assertEquals(port, (Integer) at(application(), "spec", "service", "port"));
        assertEquals(Boolean.FALSE, at(application(), "spec", "manageTLS"),
                "the operator would otherwise move the service to HTTPS on 9443, which this server does not serve");
        // Prometheus scrapes every pod on the same port, at MicroProfile Metrics' endpoint.
        Map<String, Object> annotations = at(deployment(), "spec", "template", "metadata", "annotations");
        assertEquals(String.valueOf(port), annotations.get("prometheus.io/port"));
        assertEquals("/metrics", annotations.get("prometheus.io/path"));
        List<Map<String, Object>> scrape = at(application(), "spec", "monitoring", "endpoints");
        assertEquals(1, scrape.size());
        assertEquals(ports.get(0).get("name"), scrape.get(0).get("port"));
        assertEquals(at(application(), "spec", "service", "portName"), scrape.get(0).get("port"));
        assertEquals("/metrics", scrape.get(0).get("path"));
        for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            Map<String, Object> probe = at(serverContainer(), kind);
            assertEquals(port, (Integer) at(probe, "httpGet", "port"));
            assertEquals("HTTP", at(probe, "httpGet", "scheme"));
        }
    }

    @Test
    void probesAskLibertysHealthEndpointsThatTheApplicationAnswers() throws Exception {
        Map<String, Object> c = serverContainer();
        assertEquals("/health/started", at(c, "startupProbe", "httpGet", "path"));
        assertEquals("/health/ready", at(c, "readinessProbe", "httpGet", "path"));
        assertEquals("/health/live", at(c, "livenessProbe", "httpGet", "path"));
        // Those paths are MicroProfile Health 4.0's, served by Liberty's mpHealth feature, and each answers with the
        // application's own check of that kind.
        assertTrue(Files.readString(ROOT.resolve("server.xml")).contains("<feature>mpHealth-4.0</feature>"));
        Map<Class<? extends java.lang.annotation.Annotation>, String> kinds = Map.of(Startup.class, "startup",
                Readiness.class, "readiness", Liveness.class, "liveness");
        for (var kind : kinds.entrySet()) {
            boolean found = false;
            for (String name : List.of("ModelStartupCheck", "ModelReadinessCheck", "ModelLivenessCheck")) {
                found |= Class.forName("dev.speakerembedding.health." + name).isAnnotationPresent(kind.getKey());
            }
            assertTrue(found, "the application has a " + kind.getValue() + " check");
        }
        // A startup probe that gives up before a slow start has finished restarts the server in a loop.
        Map<String, Object> startup = at(c, "startupProbe");
        int budget = (Integer) startup.get("initialDelaySeconds")
                + (Integer) startup.get("periodSeconds") * (Integer) startup.get("failureThreshold");
        assertTrue(budget >= 2 * SLOWEST_START_SECONDS_MEASURED,
                "startup probe waits " + budget + " s, at least twice the slowest start measured ("
                        + SLOWEST_START_SECONDS_MEASURED + " s)");
        // Liveness answers from memory; its timeout must still outlast a busy node's scheduling delays.
        assertTrue((Integer) at(c, "livenessProbe", "timeoutSeconds") >= 2);
    }

    @Test
    void everyEnvironmentNameIsOneTheApplicationOrItsRuntimeReads() throws Exception {
        Set<String> known = new TreeSet<>(serviceConfigVariables());
        known.addAll(serverXmlVariables());
        known.addAll(OTHER_DOCUMENTED_VARIABLES);
        assertTrue(Files.readString(ROOT.resolve("scripts/download-embedding-model.sh")).contains("${JAVA_OPTS:-}"),
                "the pre-download script reads JAVA_OPTS");
        for (var list : allEnvLists().entrySet()) {
            for (Map<String, Object> e : list.getValue()) {
                assertTrue(known.contains((String) e.get("name")),
                        list.getKey() + ": " + e.get("name") + " is read by nobody; known: " + known);
            }
        }
    }

    @Test
    void theCacheIsMountedWhereModelCacheDirPoints() throws Exception {
        String imageDefault = dockerfileEnv("MODEL_CACHE_DIR");
        assertTrue(Files.readString(ROOT.resolve("Dockerfile")).contains("VOLUME " + imageDefault));
        Map<String, Object> pod = deploymentPod();
        String claim = at(only("kubernetes", "PersistentVolumeClaim"), "metadata", "name");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        String volume = (String) volumes.stream().filter(v -> v.get("persistentVolumeClaim") != null)
                .filter(v -> claim.equals(at(v, "persistentVolumeClaim", "claimName"))).findFirst()
                .orElseThrow(() -> new AssertionError("a volume of the claim " + claim)).get("name");
        Map<String, Map<String, Object>> containers = new LinkedHashMap<>();
        containers.put("server", serverContainer());
        containers.put("initContainer", initContainer(pod));
        for (var c : containers.entrySet()) {
            String dir = value(at(c.getValue(), "env"), "MODEL_CACHE_DIR");
            assertEquals(imageDefault, dir, c.getKey() + ": MODEL_CACHE_DIR is the image's");
            List<Map<String, Object>> mounts = at(c.getValue(), "volumeMounts");
            assertTrue(mounts.stream().anyMatch(m -> volume.equals(m.get("name")) && dir.equals(m.get("mountPath"))
                    && m.get("subPath") == null), c.getKey() + ": the cache volume is mounted at " + dir);
        }
    }

    @Test
    void noSecretValueIsWrittenInAnyManifest() throws Exception {
        for (var list : allEnvLists().entrySet()) {
            for (Map<String, Object> e : list.getValue()) {
                String name = (String) e.get("name");
                boolean secretLooking = SECRET_VARIABLES.contains(name)
                        || name.matches(".*(TOKEN|PASSWORD|SECRET|CREDENTIAL|PRIVATE).*");
                if (secretLooking) {
                    assertFalse(e.containsKey("value"), list.getKey() + ": " + name + " has no inline value");
                    Map<String, Object> ref = at(e, "valueFrom", "secretKeyRef");
                    assertTrue(ref.get("name") instanceof String && ref.get("key") instanceof String,
                            list.getKey() + ": " + name + " from a Secret");
                }
            }
        }
        for (Path f : manifestFiles()) {
            for (Map<String, Object> d : documents(f)) {
                assertFalse("Secret".equals(d.get("kind")), f + ": Secrets are created by kubectl, not kept here");
            }
        }
        // Not even in comments: the kubectl commands in the manifests take values from the shell.
        Pattern literalSecret = Pattern.compile("--from-literal=(token|password)=(?!\"\\$)");
        for (Path f : manifestFiles()) {
            assertFalse(literalSecret.matcher(Files.readString(f)).find(), f + ": a secret value written out");
        }
    }

    @Test
    void memoryLimitHoldsTheHeapAndTheNativeMemoryMeasured() throws Exception {
        Map<String, Object> pod = deploymentPod();
        Map<String, Map<String, Object>> containers = new LinkedHashMap<>();
        containers.put("server", serverContainer());
        containers.put("initContainer", initContainer(pod));
        long serverHeap = -1;
        for (var c : containers.entrySet()) {
            long limit = mebibytes(at(c.getValue(), "resources", "limits", "memory"));
            assertEquals(limit, mebibytes(at(c.getValue(), "resources", "requests", "memory")),
                    c.getKey() + ": memory request = limit (the JVM sizes itself by the limit)");
            assertEquals((String) at(c.getValue(), "resources", "limits", "cpu"),
                    at(c.getValue(), "resources", "requests", "cpu"), c.getKey() + ": CPU request = limit");
            List<String> options = c.getKey().equals("server") ? jvmOptions()
                    : List.of(value(at(c.getValue(), "env"), "JAVA_OPTS").split("\\s+"));
            long heap = heapMib(options, limit);
            if (c.getKey().equals("server")) {
                serverHeap = heap;
            } else {
                assertEquals(serverHeap, heap, "the pre-download converts with the server's heap");
            }
            assertTrue(limit > heap + NATIVE_MIB_MEASURED, c.getKey() + ": limit " + limit + " MiB above heap " + heap
                    + " MiB + native " + NATIVE_MIB_MEASURED + " MiB");
        }
        assertEquals(768, serverHeap, "jvm.options -Xmx768m (README Containers)");
    }

    @Test
    void theInitContainerPreDownloadsWhatTheServerServesWithTheImagesOwnTool() throws Exception {
        Map<String, Object> pod = deploymentPod();
        Map<String, Object> init = initContainer(pod);
        Map<String, Object> server = serverContainer();
        assertEquals((String) server.get("image"), init.get("image"), "the same image");
        List<Map<String, Object>> initEnv = at(init, "env");
        List<Map<String, Object>> serverEnv = at(server, "env");
        for (String name : MODEL_VARIABLES) {
            assertEquals(byName(serverEnv).get(name), byName(initEnv).get(name), name + " agrees");
        }
        assertEquals("0", value(initEnv, "HF_HUB_OFFLINE"), "the pre-download may use the network");
        assertEquals("1", value(serverEnv, "HF_HUB_OFFLINE"), "the server serves the filled cache offline");
        assertTrue(byName(initEnv).containsKey("HF_TOKEN"));
        assertFalse(byName(serverEnv).containsKey("HF_TOKEN"), "the token stays in the pre-download");
        // The command is the script the Dockerfile puts into the runtime image, in the layout the script expects.
        List<String> command = at(init, "command");
        assertEquals(List.of("/opt/speaker-embedding/scripts/download-embedding-model.sh"), command);
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("cp scripts/download-embedding-model.sh target/predownload/scripts/"));
        assertTrue(dockerfile.contains("cp -r target/classes target/predownload/target/classes"));
        assertTrue(dockerfile.contains("COPY --chown=1001:0 --from=build /build/target/predownload /opt/speaker-embedding"));
        assertTrue(dockerfile.contains("ln -s /config/lib/global/onnxruntime-*.jar /opt/speaker-embedding/target/cli-lib/"));
        String script = Files.readString(ROOT.resolve("scripts/download-embedding-model.sh"));
        assertTrue(script.contains("classes=\"$root/target/classes\"") && script.contains("lib=\"$root/target/cli-lib\"")
                && script.contains("dev.speakerembedding.cli.DownloadModel"), "the script's layout");
    }

    @Test
    void severalReplicasShareTheCacheVolumeAndTheProfileDatabase() throws Exception {
        Map<String, Object> hpa = only("kubernetes", "HorizontalPodAutoscaler");
        int maxReplicas = at(hpa, "spec", "maxReplicas");
        int replicas = at(deployment(), "spec", "replicas");
        assertTrue(maxReplicas > 1 && replicas > 1);
        assertEquals(replicas, (Integer) at(hpa, "spec", "minReplicas"), "the Deployment starts at the HPA's minimum");
        assertEquals("Deployment", at(hpa, "spec", "scaleTargetRef", "kind"));
        assertEquals((String) at(deployment(), "metadata", "name"), at(hpa, "spec", "scaleTargetRef", "name"));
        List<Map<String, Object>> metrics = at(hpa, "spec", "metrics");
        assertEquals(1, metrics.size());
        assertEquals("cpu", at(metrics.get(0), "resource", "name"));
        assertEquals("Utilization", at(metrics.get(0), "resource", "target", "type"));
        assertTrue(((String) at(serverContainer(), "resources", "requests", "cpu")).length() > 0,
                "CPU utilization is relative to the request");
        // More than one pod: the cache is mounted on several nodes, and profiles live in one shared PostgreSQL.
        List<String> modes = at(only("kubernetes", "PersistentVolumeClaim"), "spec", "accessModes");
        assertEquals(List.of("ReadWriteMany"), modes);
        Map<String, Map<String, Object>> env = byName(at(serverContainer(), "env"));
        for (String name : List.of("PROFILE_DB_URL", "PROFILE_DB_USER", "PROFILE_DB_PASSWORD")) {
            Map<String, Object> ref = at(env.get(name), "valueFrom", "secretKeyRef");
            assertFalse(Boolean.TRUE.equals(ref.get("optional")),
                    name + " is required: without it each pod would keep profiles in an embedded database of its own");
        }
        // 16 connections per replica (server.xml maxPoolSize) within PostgreSQL's default max_connections of 100.
        Matcher pool = Pattern.compile("maxPoolSize=\"(\\d+)\"").matcher(Files.readString(ROOT.resolve("server.xml")));
        assertTrue(pool.find());
        assertTrue(maxReplicas * Integer.parseInt(pool.group(1)) <= 100,
                maxReplicas + " replicas x " + pool.group(1) + " connections fit PostgreSQL's default 100");
        Map<String, Object> service = only("kubernetes", "Service");
        Map<String, Object> podLabels = at(deployment(), "spec", "template", "metadata", "labels");
        Map<String, Object> selector = at(service, "spec", "selector");
        assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), "the Service selects the pods");
        assertEquals(Boolean.FALSE, deploymentPod().get("enableServiceLinks"), "no HTTP_PORT from a Service named http");
    }

    @Test
    void theOpenLibertyApplicationSaysWhatTheDeploymentSays() throws Exception {
        Map<String, Object> spec = at(application(), "spec");
        Map<String, Object> server = serverContainer();
        assertEquals((String) server.get("image"), spec.get("applicationImage"));
        assertEquals((Object) at(server, "startupProbe"), at(spec, "probes", "startup"));
        assertEquals((Object) at(server, "readinessProbe"), at(spec, "probes", "readiness"));
        assertEquals((Object) at(server, "livenessProbe"), at(spec, "probes", "liveness"));
        assertEquals((Object) at(server, "env"), spec.get("env"));
        assertEquals((Object) at(server, "volumeMounts"), spec.get("volumeMounts"));
        assertEquals((Object) at(server, "resources"), spec.get("resources"));
        Map<String, Object> pod = deploymentPod();
        assertEquals((Object) at(pod, "volumes"), spec.get("volumes"));
        assertEquals((Object) at(pod, "initContainers"), spec.get("initContainers"));
        assertEquals(Boolean.TRUE, spec.get("disableServiceLinks"));
        assertEquals(Boolean.FALSE, at(spec, "serviceAccount", "mountToken"));
        Map<String, Object> hpa = only("kubernetes", "HorizontalPodAutoscaler");
        assertEquals((Integer) at(hpa, "spec", "minReplicas"), at(spec, "autoscaling", "minReplicas"));
        assertEquals((Integer) at(hpa, "spec", "maxReplicas"), at(spec, "autoscaling", "maxReplicas"));
        List<Map<String, Object>> metrics = at(hpa, "spec", "metrics");
        assertEquals((Integer) at(metrics.get(0), "resource", "target", "averageUtilization"),
                at(spec, "autoscaling", "targetCPUUtilizationPercentage"));
        assertEquals((Object) at(deployment(), "spec", "strategy"), at(spec, "deployment", "updateStrategy"));
        assertEquals(Files.readString(DEPLOY.resolve("kubernetes/model-cache-pvc.yaml")),
                Files.readString(DEPLOY.resolve("openliberty/model-cache-pvc.yaml")), "one cache claim, written twice");
        if (spec.containsKey("statefulSet")) {
            fail("a StatefulSet would give each pod a cache of its own; the pods share one claim");
        }
    }
}
