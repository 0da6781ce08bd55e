package dev.speakerembedding.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures a reliability test reports: printed to the test output as it goes, and appended to
 * {@code target/reliability/<item>.txt} so that {@code scripts/reliability-suite.sh} can show them all at the end.
 */
final class Report {

    private final String item;
    private final List<String> lines = new ArrayList<>();

    Report(String item) {
        this.item = item;
    }

    /** A line of what was tried or seen. */
    Report line(String format, Object... args) {
        String text = String.format(format, args);
        System.out.println("[" + item + "] " + text);
        lines.add(text);
        return this;
    }

    /** Writes the lines under a heading; called once at the end of a test, pass or fail. */
    void write(String heading) {
        Path dir = Path.of(System.getProperty("project.root", ".")).resolve("target/reliability");
        StringBuilder out = new StringBuilder();
        out.append("## ").append(item).append(": ").append(heading).append("  (").append(Instant.now()).append(")\n");
        lines.forEach(l -> out.append("  ").append(l).append('\n'));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(item.replaceAll("[^A-Za-z0-9_-]", "_") + ".txt"), out.toString(),
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("[" + item + "] could not write the report file: " + e);
        }
    }
}
