package dev.speakerembedding.hub;

/** The Hub could not be reached or kept failing (connect errors, timeouts, 5xx, 429) after all retries. */
public class HubUnavailableException extends HubException {
    private static final long serialVersionUID = 1L;

    public HubUnavailableException(String message, Throwable cause) {
        super(message, cause, true);
    }
}
