package dev.speakerembedding.profiles.store;

/** No profile has the id asked for (never created, or deleted, possibly while the call ran). The edge answers 404. */
public final class ProfileNotFoundException extends ProfileStoreException {

    private static final long serialVersionUID = 1L;

    private final ProfileId profileId;

    ProfileNotFoundException(ProfileId profileId) {
        super("profile " + profileId + " does not exist");
        this.profileId = profileId;
    }

    public ProfileId profileId() {
        return profileId;
    }
}
