package dev.speakerembedding.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A model format's identity: the name GET /v1/model reports and the repository files a model of this format is made
 * of. The hub is handed the file lists and knows nothing else of the format.
 *
 * @param name          e.g. {@code speechbrain-ecapa}
 * @param requiredFiles the files without which the model cannot load
 * @param optionalFiles files used when the repository has them
 */
public record ModelFormat(String name, List<String> requiredFiles, List<String> optionalFiles) {

    public ModelFormat {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("A model format needs a name");
        }
        requiredFiles = List.copyOf(requiredFiles);
        optionalFiles = List.copyOf(optionalFiles);
        if (requiredFiles.isEmpty()) {
            throw new IllegalArgumentException("Model format " + name + " lists no required file");
        }
        Set<String> seen = new HashSet<>();
        for (String file : allFiles(requiredFiles, optionalFiles)) {
            if (!seen.add(file)) {
                throw new IllegalArgumentException("Model format " + name + " lists " + file + " twice");
            }
        }
    }

    /** Required files first, then optional ones. */
    public List<String> allFiles() {
        return allFiles(requiredFiles, optionalFiles);
    }

    private static List<String> allFiles(List<String> required, List<String> optional) {
        List<String> all = new ArrayList<>(required);
        all.addAll(optional);
        return List.copyOf(all);
    }
}
