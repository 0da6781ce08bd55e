package dev.speakerembedding.profiles.store;

import java.util.List;
import java.util.Objects;

import dev.speakerembedding.profiles.ProfileScoring;

/**
 * One profile's enrollments under one model identity, as the index needs them: the unit-length embeddings
 * ({@link ProfileScoring#profileVector} turns them into the profile vector) and their speech in total (whether the
 * profile is enrolled).
 *
 * @param profileId      the profile
 * @param unitEmbeddings its enrollments' unit-length embeddings, oldest first, never empty
 * @param speechSeconds  the speech of those enrollments in total
 */
public record ProfileVectors(ProfileId profileId, List<float[]> unitEmbeddings, double speechSeconds) {

    public ProfileVectors {
        Objects.requireNonNull(profileId, "profileId");
        unitEmbeddings = List.copyOf(unitEmbeddings);
        if (unitEmbeddings.isEmpty()) {
            throw new IllegalArgumentException("a profile's vectors hold at least one embedding");
        }
    }

    /** The profile vector: the unit-length mean of the unit-length embeddings. */
    public float[] profileVector() {
        return ProfileScoring.profileVector(unitEmbeddings);
    }

    /** Without the vectors (biometric data). */
    @Override
    public String toString() {
        return "ProfileVectors[profileId=" + profileId + ", embeddings=" + unitEmbeddings.size() + ", speechSeconds="
                + speechSeconds + "]";
    }
}
