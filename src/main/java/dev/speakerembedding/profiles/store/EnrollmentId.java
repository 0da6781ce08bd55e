package dev.speakerembedding.profiles.store;

import java.util.Objects;
import java.util.UUID;

/** An enrollment's id: a random UUID given by the store. */
public record EnrollmentId(UUID value) implements Comparable<EnrollmentId> {

    public EnrollmentId {
        Objects.requireNonNull(value, "value");
    }

    public static EnrollmentId random() {
        return new EnrollmentId(UUID.randomUUID());
    }

    /** @throws InvalidProfileInputException (MALFORMED_ID) when the text is not a canonical UUID */
    public static EnrollmentId parse(String text) {
        return new EnrollmentId(Uuids.parse(text, "enrollment id"));
    }

    @Override
    public int compareTo(EnrollmentId other) {
        return Uuids.compare(value, other.value);
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
