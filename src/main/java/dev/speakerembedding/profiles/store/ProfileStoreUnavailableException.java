package dev.speakerembedding.profiles.store;

/**
 * The database could not be reached or dropped the connection (SQLState class 08, an operator shutdown, a
 * connection-pool timeout) or stayed locked past the lock timeout: nothing was written, and the same call may
 * succeed later. The edge answers 503.
 */
public final class ProfileStoreUnavailableException extends ProfileStoreException {

    private static final long serialVersionUID = 1L;

    ProfileStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
