package dev.speakerembedding.it;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The samples of a Prometheus text exposition (format 0.0.4), as scraped: name, labels, value. */
final class PrometheusText {

    record Sample(String name, Map<String, String> labels, double value) {
        boolean has(Map<String, String> wanted) {
            return wanted.entrySet().stream().allMatch(e -> Objects.equals(labels.get(e.getKey()), e.getValue()));
        }
    }

    private final List<Sample> samples;
    private final String text;

    private PrometheusText(List<Sample> samples, String text) {
        this.samples = samples;
        this.text = text;
    }

    static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            int rest;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                rest = labels(line, brace + 1, labels);
            } else {
                name = line.substring(0, space);
                rest = space;
            }
            String[] valueAndTime = line.substring(rest).strip().split(" ");
            samples.add(new Sample(name, labels, value(valueAndTime[0])));
        }
        return new PrometheusText(samples, text);
    }

    /** Reads {@code k="v",...}} from {@code from}; returns the index after the closing brace. */
    private static int labels(String line, int from, Map<String, String> out) {
        int i = from;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq).strip();
            StringBuilder value = new StringBuilder();
            int j = eq + 2;
            for (; line.charAt(j) != '"'; j++) {
                char c = line.charAt(j);
                if (c == '\\') {
                    char next = line.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
            }
            out.put(key, value.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }

    private static double value(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    List<Sample> samples() {
        return samples;
    }

    String text() {
        return text;
    }

    /** The samples of {@code name} that carry every label of {@code labels}. */
    List<Sample> all(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.has(labels)).toList();
    }

    /** The sum of the samples of {@code name} that carry {@code labels}; 0 when there is none (not yet counted). */
    double sum(String name, Map<String, String> labels) {
        return all(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** The one sample of {@code name} with {@code labels}; fails when there is none or several. */
    double single(String name, Map<String, String> labels) {
        List<Sample> found = all(name, labels);
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + labels + ", found " + found);
        }
        return found.get(0).value();
    }

    boolean hasName(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }
}
