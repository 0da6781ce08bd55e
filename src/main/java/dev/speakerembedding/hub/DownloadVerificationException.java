package dev.speakerembedding.hub;

/** Downloaded bytes kept failing the size or hash check after every retry; nothing was put in the cache. */
public class DownloadVerificationException extends HubException {
    private static final long serialVersionUID = 1L;

    public DownloadVerificationException(String message) {
        super(message, null, false);
    }
}
