package dev.speakerembedding.api;

import dev.speakerembedding.profiles.store.DuplicateExternalIdException;
import dev.speakerembedding.profiles.store.InvalidProfileInputException;
import dev.speakerembedding.profiles.store.ProfileNotFoundException;
import dev.speakerembedding.profiles.store.ProfileStoreException;
import dev.speakerembedding.profiles.store.ProfileStoreUnavailableException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The profile store's failures as problems. Store messages say what was wrong with a value, never the value (no
 * external id, metadata, vector or score), so they may be both logged and answered.
 */
@Provider
public class ProfileStoreExceptionMapper implements ExceptionMapper<ProfileStoreException> {

    private static final Logger LOG = Logger.getLogger(ProfileStoreExceptionMapper.class.getName());
    /** Retry-After of a database that went away: Liberty's pool reconnects on the next request that finds it. */
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

    @Override
    public Response toResponse(ProfileStoreException e) {
        return ProblemMappers.toResponse(problem(e));
    }

    static ProblemException problem(ProfileStoreException e) {
        if (e instanceof ProfileStoreUnavailableException) {
            LOG.log(Level.WARNING, "Profile store unavailable: " + e.getMessage());
            return ProblemType.PROFILE_STORE_UNAVAILABLE.exception(e.getMessage()
                    + "; the service reconnects by itself", UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
        if (e instanceof ProfileNotFoundException nf) {
            return ProfileService.notFound(nf.profileId());
        }
        if (e instanceof DuplicateExternalIdException) {
            return ProblemType.DUPLICATE_EXTERNAL_ID.exception(e.getMessage());
        }
        if (e instanceof InvalidProfileInputException invalid) {
            ProblemType type = switch (invalid.reason()) {
                case MALFORMED_ID -> ProblemType.MALFORMED_ID;
                case INVALID_EXTERNAL_ID -> ProblemType.INVALID_EXTERNAL_ID;
                case METADATA_TOO_LARGE -> ProblemType.METADATA_TOO_LARGE;
                case INVALID_METADATA -> ProblemType.INVALID_METADATA;
                case MALFORMED_CURSOR, OUT_OF_RANGE -> ProblemType.INVALID_OPTION;
                case INVALID_EMBEDDING, INVALID_DURATION -> ProblemType.INVALID_EMBEDDING;
            };
            return type.exception(e.getMessage());
        }
        LOG.log(Level.SEVERE, "Profile store failure: " + e.getMessage());
        return ProblemType.INTERNAL_ERROR.exception("The profile store failed; the cause is in the server's log.");
    }
}
