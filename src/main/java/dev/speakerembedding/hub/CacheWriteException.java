package dev.speakerembedding.hub;

import java.io.IOException;

/** The cache directory could not be written (disk full, read-only volume, permissions). */
public class CacheWriteException extends HubException {
    private static final long serialVersionUID = 1L;

    public CacheWriteException(String message, IOException cause) {
        super(message, cause, false);
    }
}
