package dev.speakerembedding.hub;

/**
 * A repo id, revision, file name, etag or commit hash (from configuration or from the Hub's headers)
 * that could name a path outside the cache, or that is not of the form the Hub uses.
 */
public class UnsafeNameException extends HubException {
    private static final long serialVersionUID = 1L;

    public UnsafeNameException(String message) {
        super(message, null, false);
    }
}
