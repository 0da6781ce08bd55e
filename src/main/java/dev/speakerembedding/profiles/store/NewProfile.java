package dev.speakerembedding.profiles.store;

/**
 * What a caller gives to create a profile; both fields optional (null). Checked on construction
 * ({@link ProfileInputs}).
 *
 * @param externalId   the caller's own id for the person, unique among profiles
 * @param metadataJson a small JSON object as text, stored as given
 */
public record NewProfile(String externalId, String metadataJson) {

    public static final NewProfile EMPTY = new NewProfile(null, null);

    public NewProfile {
        if (externalId != null) {
            ProfileInputs.checkExternalId(externalId);
        }
        if (metadataJson != null) {
            ProfileInputs.checkMetadata(metadataJson);
        }
    }

    /** Without the external id and metadata, which may identify a person. */
    @Override
    public String toString() {
        return "NewProfile[externalId " + (externalId == null ? "absent" : "present") + ", metadata "
                + (metadataJson == null ? "absent" : metadataJson.length() + " chars") + "]";
    }
}
