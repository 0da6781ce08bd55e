package dev.speakerembedding.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/** Compares two OpenAPI documents as data (key order and formatting do not matter), ignoring {@code servers}. */
final class OpenApiDocuments {

    /** Differences reported at most, so a wholesale change still gives a readable failure. */
    private static final int MAX_REPORTED = 40;

    private OpenApiDocuments() {
    }

    /**
     * Plain YAML 1.1 would read an unquoted {@code 2025-01-31T12:00:00Z} in the YAML form as a date but the quoted
     * one in the JSON form as a string; without timestamp resolution both forms read alike.
     */
    private static final class NoTimestamps extends Resolver {
        @Override
        public void addImplicitResolver(Tag tag, Pattern regexp, String first) {
            if (!Tag.TIMESTAMP.equals(tag)) {
                super.addImplicitResolver(tag, regexp, first);
            }
        }

        @Override
        public void addImplicitResolver(Tag tag, Pattern regexp, String first, int limit) {
            if (!Tag.TIMESTAMP.equals(tag)) {
                super.addImplicitResolver(tag, regexp, first, limit);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String yamlOrJson) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(16 * 1024 * 1024);
        DumperOptions dumper = new DumperOptions();
        Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options,
                new NoTimestamps());
        Map<String, Object> doc = new LinkedHashMap<>((Map<String, Object>) yaml.load(yamlOrJson));
        doc.remove("servers");
        return doc;
    }

    /** One line per difference, as {@code /json/pointer: snapshot X, served Y}. */
    static List<String> differences(Object snapshot, Object served) {
        List<String> out = new ArrayList<>();
        compare("", snapshot, served, out);
        if (out.size() > MAX_REPORTED) {
            int more = out.size() - MAX_REPORTED;
            out = new ArrayList<>(out.subList(0, MAX_REPORTED));
            out.add("... and " + more + " more");
        }
        return out;
    }

    private static void compare(String path, Object a, Object b, List<String> out) {
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            TreeSet<String> keys = new TreeSet<>();
            ma.keySet().forEach(k -> keys.add(String.valueOf(k)));
            mb.keySet().forEach(k -> keys.add(String.valueOf(k)));
            for (String k : keys) {
                String p = path + "/" + k.replace("~", "~0").replace("/", "~1");
                if (!ma.containsKey(k)) {
                    out.add(p + ": only served: " + brief(mb.get(k)));
                } else if (!mb.containsKey(k)) {
                    out.add(p + ": only in the snapshot: " + brief(ma.get(k)));
                } else {
                    compare(p, ma.get(k), mb.get(k), out);
                }
            }
        } else if (a instanceof List<?> la && b instanceof List<?> lb) {
            for (int i = 0; i < Math.max(la.size(), lb.size()); i++) {
                String p = path + "/" + i;
                if (i >= la.size()) {
                    out.add(p + ": only served: " + brief(lb.get(i)));
                } else if (i >= lb.size()) {
                    out.add(p + ": only in the snapshot: " + brief(la.get(i)));
                } else {
                    compare(p, la.get(i), lb.get(i), out);
                }
            }
        } else if (a instanceof String sa && b instanceof String sb && !sa.equals(sb)) {
            int from = Math.max(0, commonPrefix(sa, sb) - 30);
            out.add(path + ": snapshot '" + (from > 0 ? "..." : "") + brief(sa.substring(from)) + "', served '"
                    + (from > 0 ? "..." : "") + brief(sb.substring(from)) + "'");
        } else if (!Objects.equals(a, b)) {
            out.add(path + ": snapshot " + brief(a) + ", served " + brief(b));
        }
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static String brief(Object value) {
        String s = String.valueOf(value);
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }

    /** The served YAML text without its top-level {@code servers} entry, which names the test server's port. */
    static String withoutServers(String yaml) {
        StringBuilder out = new StringBuilder();
        boolean skipping = false;
        for (String line : yaml.split("\n", -1)) {
            if (line.startsWith("servers:")) {
                skipping = true;
                continue;
            }
            if (skipping && (line.startsWith(" ") || line.startsWith("-"))) {
                continue;
            }
            skipping = false;
            out.append(line).append('\n');
        }
        return out.toString().replaceAll("\n+$", "\n");
    }
}
