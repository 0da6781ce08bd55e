package dev.speakerembedding.profiles.store;

/**
 * The database answered with an error that is neither bad input nor unavailability (a schema that does not match
 * the code, a stored row this version cannot read): a defect or an operations problem. The edge answers 500.
 */
public final class ProfileStoreFailureException extends ProfileStoreException {

    private static final long serialVersionUID = 1L;

    ProfileStoreFailureException(String message) {
        super(message);
    }

    ProfileStoreFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
