package dev.speakerembedding.api;

/** The uploads in progress already hold MAX_BUFFERED_UPLOAD_BYTES: this one must come back later. */
public final class UploadBudgetExceededException extends RequestBodyRefusedException {

    private static final long serialVersionUID = 1L;

    /** Uploads in progress finish within seconds; a short wait is the honest estimate. */
    static final int RETRY_AFTER_SECONDS = 2;

    public UploadBudgetExceededException(String message) {
        super(message);
    }

    @Override
    ProblemException problem() {
        return ProblemType.SATURATED.exception(getMessage(), RETRY_AFTER_SECONDS);
    }
}
