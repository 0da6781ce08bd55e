package dev.speakerembedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the architecture, read from the main sources: the core is plain Java, the hub knows files
 * and bytes but no model, and no two packages depend on each other (directly or around a circle).
 */
class PackageRulesTest {

    private static final Path SOURCES = Path.of("src/main/java");
    private static final String ROOT = "dev.speakerembedding";
    /** Plain Java: unit-testable without a server. (lifecycle, config, health, api and cli adapt it at the edge.) */
    private static final List<String> CORE = List.of("audio", "features", "embedding", "inference", "hub", "files",
            "model", "profiles", "auth");
    /** Any mention of a class of another package: an import, a fully qualified name, a javadoc link. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.speakerembedding\\.((?:[a-z][a-z0-9]*\\.)*)"
            + "[A-Z]");
    private static final Pattern FRAMEWORK_IMPORT = Pattern.compile("(?m)^import\\s+(?:static\\s+)?"
            + "((?:jakarta|javax\\.enterprise|javax\\.ws|javax\\.inject|org\\.eclipse\\.microprofile)\\.[\\w.]+)");

    /** Package (relative to dev.speakerembedding) to the packages its classes mention. */
    private static final Map<String, Set<String>> DEPENDENCIES = new TreeMap<>();
    /** Package to the framework imports of its classes. */
    private static final Map<String, Set<String>> FRAMEWORK = new TreeMap<>();
    private static int filesRead;

    @BeforeAll
    static void readSources() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "run from the project directory: no " + SOURCES.toAbsolutePath());
        Path rootDir = SOURCES.resolve(ROOT.replace('.', '/'));
        try (Stream<Path> files = Files.walk(rootDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = rootDir.relativize(file.getParent()).toString().replace('/', '.');
                String text = Files.readString(file);
                Set<String> deps = DEPENDENCIES.computeIfAbsent(pkg, p -> new TreeSet<>());
                Matcher reference = REFERENCE.matcher(text);
                while (reference.find()) {
                    String dep = reference.group(1).isEmpty() ? ""
                            : reference.group(1).substring(0, reference.group(1).length() - 1);
                    if (!dep.equals(pkg)) {
                        deps.add(dep);
                    }
                }
                Matcher framework = FRAMEWORK_IMPORT.matcher(text);
                while (framework.find()) {
                    FRAMEWORK.computeIfAbsent(pkg, p -> new TreeSet<>()).add(framework.group(1));
                }
                filesRead++;
            }
        }
        assertTrue(filesRead > 50, "read only " + filesRead + " source files from " + rootDir);
    }

    @Test
    void theCoreImportsNoFramework() {
        Map<String, Set<String>> found = new TreeMap<>();
        FRAMEWORK.forEach((pkg, imports) -> {
            if (isCore(pkg)) {
                found.put(pkg, imports);
            }
        });
        assertEquals(Map.of(), found, "jakarta.* or MicroProfile in core packages");
        assertTrue(FRAMEWORK.containsKey("api"), "the scan sees framework imports where they are: " + FRAMEWORK);
    }

    @Test
    void theHubKnowsFilesAndBytesButNoModel() {
        Set<String> outside = new TreeSet<>(DEPENDENCIES.get("hub"));
        outside.remove("files");
        assertEquals(Set.of(), outside, "the hub may use only the file utilities");
    }

    /** Beside the imports: no model family, format or file name of one may be written into the hub's code. */
    @Test
    void theHubNamesNoModelFormatOrItsFiles() throws IOException {
        Pattern modelWords = Pattern.compile("(?i)speechbrain|ecapa|wespeaker|3d-speaker|nemo|sherpa|hyperparams"
                + "|\\.ckpt\\b|\\.onnx\\b|label_encoder|mean_var_norm");
        Map<String, List<String>> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES.resolve(ROOT.replace('.', '/')).resolve("hub"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> hits = Files.readAllLines(file).stream().filter(l -> modelWords.matcher(l).find())
                        .map(String::strip).toList();
                if (!hits.isEmpty()) {
                    found.put(file.getFileName().toString(), hits);
                }
            }
        }
        assertEquals(Map.of(), found, "the hub knows files and bytes only");
    }

    /**
     * Metrics are recorded at the edge: the core and the lifecycle hand out events and timings (a download
     * listener, a state observer, StageTimings) and never reach the metrics package, which may read them.
     */
    @Test
    void onlyTheEdgeReachesTheMetrics() {
        Map<String, Set<String>> reaching = new TreeMap<>();
        DEPENDENCIES.forEach((pkg, deps) -> {
            if ((isCore(pkg) || pkg.equals("lifecycle") || pkg.equals("config")) && deps.contains("metrics")) {
                reaching.put(pkg, deps);
            }
        });
        assertEquals(Map.of(), reaching, "core, lifecycle or config packages reaching the metrics");
        assertTrue(DEPENDENCIES.get("api").contains("metrics"), "the scan sees the edge feed the metrics: "
                + DEPENDENCIES.get("api"));
    }

    @Test
    void theFileUtilitiesDependOnNothingOfTheProject() {
        assertEquals(Set.of(), DEPENDENCIES.get("files"));
    }

    @Test
    void modelFamiliesDependOnTheModelPackageNotTheReverse() {
        assertTrue(DEPENDENCIES.get("model.speechbrain").contains("model"), DEPENDENCIES.toString());
        assertTrue(DEPENDENCIES.get("model").stream().noneMatch(dep -> dep.startsWith("model.")),
                "model depends on " + DEPENDENCIES.get("model"));
        for (Map.Entry<String, Set<String>> entry : DEPENDENCIES.entrySet()) {
            if (entry.getKey().equals("model") || entry.getKey().startsWith("model.")) {
                // A family package owns its front end, built from the signal processing in audio and features
                // (which know no model); the model package itself stays free of them.
                boolean family = entry.getKey().startsWith("model.");
                assertTrue(entry.getValue().stream().allMatch(dep -> dep.equals("files") || dep.equals("model")
                        || dep.startsWith("model.") || family && (dep.equals("audio") || dep.equals("features"))),
                        entry.getKey() + " reaches outside the model: " + entry.getValue());
            }
        }
    }

    /** Signal processing knows no model: a family's front end is built from it, never the reverse. */
    @Test
    void audioAndFeaturesReachNoModelOrHub() {
        for (String pkg : List.of("audio", "features")) {
            assertTrue(DEPENDENCIES.get(pkg).stream().noneMatch(dep -> dep.equals("model") || dep.startsWith("model.")
                    || dep.equals("hub")), pkg + " depends on " + DEPENDENCIES.get(pkg));
        }
    }

    @Test
    void noPackagesDependOnEachOther() {
        List<List<String>> cycles = cycles(DEPENDENCIES);
        assertEquals(List.of(), cycles, "package cycles in " + DEPENDENCIES);
    }

    @Test
    void theCycleCheckFindsACycle() {
        Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(graph));
    }

    private static boolean isCore(String pkg) {
        return CORE.stream().anyMatch(core -> pkg.equals(core) || pkg.startsWith(core + "."));
    }

    /** The strongly connected components of more than one package (Tarjan), each sorted. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<List<String>> cycles = new ArrayList<>();
        for (String node : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, cycles);
            }
        }
        return cycles;
    }

    private static void connect(String node, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, List<List<String>> cycles) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, cycles);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (stack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            List<String> component = new ArrayList<>();
            String member;
            do {
                member = stack.pop();
                component.add(member);
            } while (!member.equals(node));
            if (component.size() > 1) {
                cycles.add(component.stream().sorted().toList());
            }
        }
    }
}
