package dev.speakerembedding.api;

/** The body did not arrive within UPLOAD_TIMEOUT_MS plus the time its bytes earned. */
public final class UploadTooSlowException extends RequestBodyRefusedException {

    private static final long serialVersionUID = 1L;

    public UploadTooSlowException(String message) {
        super(message);
    }

    public UploadTooSlowException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    ProblemException problem() {
        return ProblemType.UPLOAD_TOO_SLOW.exception(getMessage());
    }
}
