package dev.speakerembedding.profiles.store;

import java.util.Objects;
import java.util.UUID;

/**
 * A profile's id: a random UUID given by the store. Ordered as the database orders them, so ties broken by id in
 * the index and in pages agree.
 */
public record ProfileId(UUID value) implements Comparable<ProfileId> {

    public ProfileId {
        Objects.requireNonNull(value, "value");
    }

    public static ProfileId random() {
        return new ProfileId(UUID.randomUUID());
    }

    /**
     * Reads the canonical text form (as in {@code /v1/speakers/{id}}).
     *
     * @throws InvalidProfileInputException (MALFORMED_ID) when the text is not a canonical UUID
     */
    public static ProfileId parse(String text) {
        return new ProfileId(Uuids.parse(text, "profile id"));
    }

    @Override
    public int compareTo(ProfileId other) {
        return Uuids.compare(value, other.value);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
