package dev.speakerembedding.deployment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The README's "Deploying into an existing Liberty server" section as an operator reads it: its server.xml fragment
 * (the section's one {@code xml} block), its server.env block and its jvm.options block (the blocks whose first line
 * is {@code # server.env} and {@code # jvm.options}). ExistingServerIT configures a server from these, and
 * ExistingServerSectionTest holds them against server.xml, jvm.options and the pom, so the README cannot drift from
 * either.
 */
public record ExistingServerSection(String text, String serverXml, Map<String, String> serverEnv,
        List<String> jvmOptions) {

    public static final String HEADING = "## Deploying into an existing Liberty server";

    public static ExistingServerSection read(Path readme) throws IOException {
        String text = section(Files.readString(readme), HEADING);
        String xml = null;
        Map<String, String> env = null;
        List<String> jvm = null;
        for (Block block : blocks(text)) {
            List<String> lines = block.body().lines().toList();
            String first = lines.isEmpty() ? "" : lines.get(0).strip();
            if (block.info().equals("xml")) {
                if (xml != null) {
                    throw new IllegalStateException("two xml blocks in README section '" + HEADING + "'");
                }
                xml = block.body();
            } else if (first.equals("# server.env")) {
                env = new LinkedHashMap<>();
                for (String line : contentLines(lines)) {
                    int eq = line.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalStateException("not NAME=value in the server.env block: " + line);
                    }
                    env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            } else if (first.equals("# jvm.options")) {
                jvm = contentLines(lines);
            }
        }
        if (xml == null || env == null || jvm == null) {
            throw new IllegalStateException("README section '" + HEADING + "' lacks its server.xml fragment (xml), "
                    + "its '# server.env' or its '# jvm.options' block");
        }
        return new ExistingServerSection(text, xml, env, jvm);
    }

    /** The text from {@code heading} to the next heading of the same level. */
    static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        if (start < 0) {
            throw new IllegalStateException("README has no section '" + heading + "'");
        }
        start += 1;
        int end = markdown.indexOf("\n## ", start + heading.length());
        return markdown.substring(start, end < 0 ? markdown.length() : end + 1);
    }

    /** A fenced code block: its info string ({@code xml}, {@code text}, ...) and its lines, indentation removed. */
    record Block(String info, String body) {
    }

    static List<Block> blocks(String markdown) {
        List<Block> out = new ArrayList<>();
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String t = line.stripLeading();
            if (!t.startsWith("```")) {
                continue;
            }
            // A block inside a list item is indented; its lines lose that indentation, as Markdown renders them.
            int indent = line.length() - t.length();
            String info = t.substring(3).strip();
            StringBuilder body = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                String l = lines.get(i);
                int cut = Math.min(indent, l.length() - l.stripLeading().length());
                body.append(l.substring(cut)).append('\n');
            }
            out.add(new Block(info, body.toString()));
        }
        return out;
    }

    private static List<String> contentLines(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
