package dev.speakerembedding.model;

import java.nio.file.Path;
import java.util.List;

/**
 * One kind of model the service can serve: which repository files it is made of, and how they become a
 * {@link SpeakerModel}. The hub is handed {@link #format()}'s file list and knows nothing else of the family.
 */
public interface ModelFamily {

    /** Which files to fetch and verify. */
    ModelFormat format();

    /**
     * Loads the verified files in {@code snapshotDir}.
     *
     * @param sourceFiles the files with the sizes and sha256 their verification computed
     * @throws ModelFormatException naming the file, key or shape that failed, and the remedy; when its cause is an
     *                              {@link java.io.IOException} a file system error stopped the load, not the model
     */
    SpeakerModel load(Path snapshotDir, List<SourceFile> sourceFiles, ModelLoadSettings settings)
            throws ModelFormatException;
}
