package dev.speakerembedding.hub;

/** The Hub refused access (HTTP 401/403): gated or private repository, missing or insufficient token. */
public class RepoAccessException extends HubException {
    private static final long serialVersionUID = 1L;

    public RepoAccessException(String message) {
        super(message, null, false);
    }
}
