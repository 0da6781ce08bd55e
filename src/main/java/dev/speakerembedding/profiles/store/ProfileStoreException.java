package dev.speakerembedding.profiles.store;

/**
 * Something the profile store could not do. Unchecked, because every store operation can meet an unreachable
 * database and the edge translates the whole family once (an exception mapper per subtype).
 *
 * <p>Messages say which operation failed and why, never a stored value: no vector, no score, no external id, no
 * metadata (they are biometric or identifying data). A database exception is attached as the cause only where its
 * text cannot hold row values (see {@link SqlErrors}).
 */
public abstract class ProfileStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ProfileStoreException(String message) {
        super(message);
    }

    ProfileStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
