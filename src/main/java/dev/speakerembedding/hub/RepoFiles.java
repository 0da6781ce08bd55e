package dev.speakerembedding.hub;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which files of a repository to fetch, verify and keep together. The hub knows files and bytes only: what the files
 * mean is for whoever asks for them (a model format hands its list over).
 *
 * @param required fetched, verified and required for the snapshot to count as cached
 * @param optional fetched when the Hub has them; a 404 for one of them is not an error
 */
public record RepoFiles(List<String> required, List<String> optional) {

    public RepoFiles {
        required = List.copyOf(required);
        optional = List.copyOf(optional);
        if (required.isEmpty()) {
            throw new IllegalArgumentException("A repository file list needs at least one required file");
        }
        Set<String> seen = new HashSet<>();
        for (String file : concat(required, optional)) {
            try {
                Names.validateFilename(file);
            } catch (UnsafeNameException e) {
                throw new IllegalArgumentException("Repository file list: " + e.getMessage(), e);
            }
            if (!seen.add(file)) {
                throw new IllegalArgumentException("Repository file list names " + file + " twice");
            }
        }
    }

    /** Required files first, then optional ones. */
    public List<String> all() {
        return concat(required, optional);
    }

    private static List<String> concat(List<String> required, List<String> optional) {
        List<String> all = new ArrayList<>(required);
        all.addAll(optional);
        return List.copyOf(all);
    }
}
