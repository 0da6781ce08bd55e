package dev.speakerembedding.hub;

/**
 * Base of every failure of the Hub client and the model cache. Checked, because each caller (server
 * start-up, health check, CLI) must decide what a missing model means for it. Messages name the repo,
 * file and URL involved, never the token.
 */
public class HubException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    public HubException(String message) {
        this(message, null, false);
    }

    public HubException(String message, Throwable cause) {
        this(message, cause, false);
    }

    protected HubException(String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** True when the same call may succeed later without any change of configuration (network, Hub load). */
    public boolean retryable() {
        return retryable;
    }
}
