package dev.speakerembedding.model.catalog;

import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.sherpa.SherpaFamily;
import dev.speakerembedding.model.sherpa.SherpaOnnxFamily;
import dev.speakerembedding.model.speechbrain.SpeechbrainEcapa;
import dev.speakerembedding.model.speechbrain.SpeechbrainFamily;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which family serves a repository, from {@code MODEL_FILE}, {@code MODEL_FAMILY} and, when known, the repository's
 * file list: speechbrain ECAPA checkpoints, or one ONNX file run as sherpa-onnx runs it (its metadata, read at load,
 * then says WeSpeaker, 3D-Speaker or NeMo). The only place that knows every family.
 */
public final class ModelFamilies {

    public static final String SUPPORTED = "speechbrain ECAPA-TDNN checkpoints (" + SpeechbrainEcapa.HYPERPARAMS_FILE
            + ", " + SpeechbrainEcapa.CHECKPOINT_FILE + ", ...) or a sherpa-onnx speaker-embedding .onnx file ("
            + SherpaFamily.supportedNames() + ")";

    /** How many file names an error shows at most. */
    static final int SHOWN_FILES = 20;

    private ModelFamilies() {
    }

    /**
     * The family to serve.
     *
     * @param modelFile   MODEL_FILE, or empty
     * @param modelFamily MODEL_FAMILY, or empty
     * @param repoFiles   the repository's files when known, or empty: then without MODEL_FILE the repository is taken
     *                    to be speechbrain's
     * @throws IllegalArgumentException naming what was found, what is supported and the setting that fixes it
     */
    public static ModelFamily choose(Optional<String> modelFile, Optional<String> modelFamily,
                                     Optional<List<String>> repoFiles) {
        SherpaFamily family = modelFamily.map(ModelFamilies::family).orElse(null);
        if (modelFile.isPresent()) {
            String file = modelFile.get();
            if (!file.toLowerCase(Locale.ROOT).endsWith(".onnx")) {
                throw new IllegalArgumentException("MODEL_FILE is '" + file + "', not an .onnx file; MODEL_FILE names"
                        + " the sherpa-onnx model file of the repository (speechbrain repositories need no"
                        + " MODEL_FILE)");
            }
            if (repoFiles.isPresent() && !repoFiles.get().contains(file)) {
                throw new IllegalArgumentException("MODEL_FILE '" + file + "' is not in the repository; its .onnx "
                        + "files: " + shown(onnxFiles(repoFiles.get())));
            }
            return new SherpaOnnxFamily(file, family);
        }
        if (repoFiles.isEmpty()) {
            if (family != null) {
                throw new IllegalArgumentException("MODEL_FAMILY is set but MODEL_FILE is not: set MODEL_FILE to the"
                        + " repository's .onnx file");
            }
            return SpeechbrainFamily.INSTANCE;
        }
        List<String> files = repoFiles.get();
        List<String> onnx = onnxFiles(files);
        boolean speechbrain = files.containsAll(SpeechbrainEcapa.FORMAT.requiredFiles());
        if (speechbrain && family == null) {
            return SpeechbrainFamily.INSTANCE;
        }
        if (onnx.size() == 1) {
            return new SherpaOnnxFamily(onnx.get(0), family);
        }
        if (onnx.size() > 1) {
            throw new IllegalArgumentException("the repository holds " + onnx.size() + " .onnx files (" + shown(onnx)
                    + "); set MODEL_FILE to the one to serve");
        }
        throw new IllegalArgumentException("the repository holds no model this service can serve (files: "
                + shown(files) + "); supported: " + SUPPORTED);
    }

    /** The {@code .onnx} files of a file list, sorted: the candidates for a sherpa-onnx model. */
    public static List<String> onnxFiles(List<String> files) {
        return files.stream().filter(f -> f.toLowerCase(Locale.ROOT).endsWith(".onnx")).sorted().toList();
    }

    /** At most {@link #SHOWN_FILES} names: a repository may hold thousands of files, a message should not. */
    static String shown(List<String> files) {
        if (files.size() <= SHOWN_FILES) {
            return String.join(", ", files);
        }
        return String.join(", ", files.subList(0, SHOWN_FILES)) + " and " + (files.size() - SHOWN_FILES) + " more";
    }

    /** MODEL_FAMILY's value as a family. */
    public static SherpaFamily family(String value) {
        SherpaFamily family = SherpaFamily.fromMetadataName(value.trim().toLowerCase(Locale.ROOT));
        if (family == null) {
            throw new IllegalArgumentException("MODEL_FAMILY is '" + value + "'; it must be one of "
                    + SherpaFamily.supportedNames());
        }
        return family;
    }

}
