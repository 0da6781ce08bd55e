package dev.speakerembedding.hub;

import java.nio.file.Path;

/** A cached file does not match the hash its blob is named by, or its snapshot entry is broken. */
public class CorruptCacheException extends HubException {
    private static final long serialVersionUID = 1L;

    private final String fileName;
    private final transient Path path;
    private final String expected;
    private final String actual;

    public CorruptCacheException(String message, String fileName, Path path, String expected, String actual) {
        super(message, null, false);
        this.fileName = fileName;
        this.path = path;
        this.expected = expected;
        this.actual = actual;
    }

    /** The file name inside the repository, e.g. {@code config.json}. */
    public String fileName() {
        return fileName;
    }

    /** The snapshot path of the file. */
    public Path path() {
        return path;
    }

    /** The expected hash (the blob's name), or a description when there is no hash to compare. */
    public String expected() {
        return expected;
    }

    /** The actual hash, or a description of what was found instead. */
    public String actual() {
        return actual;
    }
}
