package dev.speakerembedding.profiles.store;

/**
 * Another profile already has the external id asked for; nothing was stored. The edge answers 409. The message
 * does not repeat the external id (it may name a person) and the database's own message, which does, is not
 * attached.
 */
public final class DuplicateExternalIdException extends ProfileStoreException {

    private static final long serialVersionUID = 1L;

    DuplicateExternalIdException() {
        super("another profile already has this external_id");
    }
}
