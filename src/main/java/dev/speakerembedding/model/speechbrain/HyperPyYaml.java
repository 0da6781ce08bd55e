package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.Construct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a HyperPyYAML file as plain data. Tags such as {@code !new:module.Class}, {@code !name:...} and
 * {@code !ref <key>} become {@link Tagged} values instead of Python objects; {@link #resolve} replaces
 * {@code !ref} by the top-level value it names (no arithmetic, no nested keys: the hub files need neither).
 */
final class HyperPyYaml {

    /** A value carrying a HyperPyYAML tag, e.g. tag "!new:speechbrain.lobes.features.Fbank" with its arguments. */
    record Tagged(String tag, Object value) {
    }

    private static final String REF = "!ref";
    private static final Pattern KEY = Pattern.compile("<([A-Za-z_][A-Za-z0-9_]*)>");
    private static final int MAX_REF_DEPTH = 16;

    private HyperPyYaml() {
    }

    /** Parses the document into a map of top-level keys (values not yet resolved). */
    static Map<String, Object> load(String text, String fileName) throws ModelFormatException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Object root;
        try {
            root = new Yaml(new TolerantConstructor(options)).load(text);
        } catch (YAMLException e) {
            throw new ModelFormatException(fileName + ": not valid YAML (" + e.getMessage() + ")", e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ModelFormatException(fileName + ": top level is not a mapping");
        }
        Map<String, Object> top = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            top.put(String.valueOf(e.getKey()), e.getValue());
        }
        return top;
    }

    /** Replaces every {@code !ref} inside {@code value} by what it refers to. */
    static Object resolve(Object value, Map<String, Object> top, String fileName) throws ModelFormatException {
        return resolve(value, top, fileName, 0);
    }

    private static Object resolve(Object value, Map<String, Object> top, String fileName, int depth)
            throws ModelFormatException {
        if (depth > MAX_REF_DEPTH) {
            throw new ModelFormatException(fileName + ": !ref chain deeper than " + MAX_REF_DEPTH);
        }
        if (value instanceof Tagged tagged) {
            if (REF.equals(tagged.tag())) {
                return reference(String.valueOf(tagged.value()).trim(), top, fileName, depth);
            }
            return new Tagged(tagged.tag(), resolve(tagged.value(), top, fileName, depth));
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put(e.getKey(), resolve(e.getValue(), top, fileName, depth));
            }
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                out.add(resolve(item, top, fileName, depth));
            }
            return out;
        }
        return value;
    }

    private static Object reference(String expression, Map<String, Object> top, String fileName, int depth)
            throws ModelFormatException {
        Matcher whole = KEY.matcher(expression);
        if (whole.matches()) {
            return resolve(lookup(whole.group(1), top, fileName), top, fileName, depth + 1);
        }
        Matcher parts = KEY.matcher(expression);
        StringBuilder text = new StringBuilder();
        while (parts.find()) {
            Object target = resolve(lookup(parts.group(1), top, fileName), top, fileName, depth + 1);
            if (target instanceof Map<?, ?> || target instanceof List<?> || target instanceof Tagged) {
                throw new ModelFormatException(fileName + ": !ref " + expression + " interpolates a non-scalar");
            }
            parts.appendReplacement(text, Matcher.quoteReplacement(String.valueOf(target)));
        }
        parts.appendTail(text);
        return text.toString();
    }

    private static Object lookup(String key, Map<String, Object> top, String fileName) throws ModelFormatException {
        if (!top.containsKey(key)) {
            throw new ModelFormatException(fileName + ": !ref <" + key + "> names no top-level key");
        }
        return top.get(key);
    }

    /** SafeConstructor that turns any local tag ("!...") into a {@link Tagged} around the plain node value. */
    private static final class TolerantConstructor extends SafeConstructor {
        private final Construct tagged = new AbstractConstruct() {
            @Override
            public Object construct(Node node) {
                Object value;
                if (node instanceof ScalarNode scalar) {
                    value = constructScalar(scalar);
                } else if (node instanceof SequenceNode sequence) {
                    value = constructSequence(sequence);
                } else {
                    value = constructMapping((MappingNode) node);
                }
                return new Tagged(node.getTag().getValue(), value);
            }
        };

        TolerantConstructor(LoaderOptions options) {
            super(options);
        }

        @Override
        protected Construct getConstructor(Node node) {
            if (node.getTag().getValue().startsWith("!")) {
                return tagged;
            }
            return super.getConstructor(node);
        }
    }
}
