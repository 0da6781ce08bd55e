package dev.speakerembedding.hub;

/** Offline mode is on and the model is not (completely) in the cache. */
public class OfflineCacheMissException extends HubException {
    private static final long serialVersionUID = 1L;

    public OfflineCacheMissException(String message) {
        super(message, null, false);
    }
}
