package dev.speakerembedding.hub;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which files of a repository make up a model of one format, so that file names live in one place
 * instead of being scattered through the code.
 *
 * @param requiredFiles fetched, verified and required for the model to count as cached
 * @param optionalFiles fetched when the Hub has them; a 404 for one of them is not an error
 */
public record ModelFormat(String name, List<String> requiredFiles, List<String> optionalFiles) {

    /** speechbrain's ECAPA-TDNN speaker recognition model (e.g. speechbrain/spkrec-ecapa-voxceleb). */
    public static final ModelFormat SPEECHBRAIN_ECAPA = new ModelFormat("speechbrain-ecapa",
            List.of("hyperparams.yaml", "embedding_model.ckpt", "mean_var_norm_emb.ckpt", "classifier.ckpt",
                    "label_encoder.txt"),
            List.of());

    public ModelFormat {
        Objects.requireNonNull(name, "name");
        requiredFiles = List.copyOf(requiredFiles);
        optionalFiles = List.copyOf(optionalFiles);
        if (requiredFiles.isEmpty()) {
            throw new IllegalArgumentException("Model format " + name + " lists no required file");
        }
        Set<String> seen = new HashSet<>();
        for (String file : allFiles(requiredFiles, optionalFiles)) {
            try {
                Names.validateFilename(file);
            } catch (UnsafeNameException e) {
                throw new IllegalArgumentException("Model format " + name + ": " + e.getMessage(), e);
            }
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
