package dev.speakerembedding.testing;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The conformance package in {@code ../shared} beside the clone (the full-size model and its expected outputs, too
 * large for the repository). CI always has {@code ../shared}, so there a missing or incomplete file fails the test
 * that needs it. Only a clone without {@code ../shared} at all (checked out somewhere else) skips such a test, and
 * the skip is a JUnit assumption that the test reports count.
 */
public final class SharedConformance {

    /** Overrides where the package is; surefire sets it to {@code ../shared/conformance/speechbrain-ecapa}. */
    public static final String PROPERTY = "shared.conformance.dir";
    private static final String PACKAGE = "conformance/speechbrain-ecapa";
    private static final String MANIFEST = "MANIFEST.json";

    private SharedConformance() {
    }

    /** {@code ../shared} beside the project root (surefire and failsafe set {@code project.root}). */
    public static Path sharedDir() {
        return Path.of(System.getProperty("project.root", ".")).resolve("../shared").toAbsolutePath().normalize();
    }

    public static Path packageDir() {
        String configured = System.getProperty(PROPERTY);
        Path dir = configured != null ? Path.of(configured) : sharedDir().resolve(PACKAGE);
        return dir.toAbsolutePath().normalize();
    }

    /** Whether this machine has {@code ../shared} (or the package where {@link #PROPERTY} says). */
    public static boolean present() {
        return present(sharedDir(), packageDir());
    }

    private static boolean present(Path sharedDir, Path packageDir) {
        return Files.isDirectory(sharedDir) || Files.isDirectory(packageDir);
    }

    /**
     * {@code relative} inside the package (a file, or a directory all of whose files in the package's manifest are
     * required), after checking each of those files exists with the byte count the manifest lists. Skips the calling
     * test when {@code ../shared} is absent; fails, naming what is missing, when it is present but incomplete.
     */
    public static Path require(String relative) {
        return require(sharedDir(), packageDir(), relative);
    }

    static Path require(Path sharedDir, Path dir, String relative) {
        if (!present(sharedDir, dir)) {
            Assumptions.abort("no " + sharedDir + " beside this clone, so the test of " + relative
                    + " cannot run here (CI always has it; a clone next to ../shared runs it)");
        }
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new AssertionError(sharedDir + " is present but the conformance package at " + dir
                    + " is missing or has no " + MANIFEST);
        }
        List<String> problems = new ArrayList<>();
        int listed = 0;
        for (Map.Entry<String, Long> file : manifestSizes(manifest).entrySet()) {
            String name = file.getKey();
            if (!name.equals(relative) && !name.startsWith(relative + "/")) {
                continue;
            }
            listed++;
            Path path = dir.resolve(name);
            try {
                if (!Files.isRegularFile(path)) {
                    problems.add(name + " is missing");
                } else if (Files.size(path) != file.getValue()) {
                    problems.add(name + " has " + Files.size(path) + " bytes, the manifest lists " + file.getValue());
                }
            } catch (IOException e) {
                problems.add(name + " cannot be read: " + e.getMessage());
            }
        }
        if (listed == 0) {
            throw new AssertionError(manifest + " lists no file under " + relative);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("the conformance package at " + dir + " is incomplete (" + problems.size()
                    + " of " + listed + " files under " + relative + "): "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; ..." : ""));
        }
        return dir.resolve(relative);
    }

    private static Map<String, Long> manifestSizes(Path manifest) {
        try (JsonReader reader = Json.createReader(Files.newBufferedReader(manifest))) {
            JsonObject files = reader.readObject().getJsonObject("files");
            if (files == null) {
                throw new AssertionError(manifest + " has no \"files\" section");
            }
            Map<String, Long> sizes = new TreeMap<>();
            files.forEach((name, entry) -> sizes.put(name, entry.asJsonObject().getJsonNumber("bytes").longValue()));
            return sizes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifest, e);
        }
    }
}
