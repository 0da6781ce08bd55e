package dev.speakerembedding.profiles.store;

import java.util.UUID;
import java.util.regex.Pattern;

/** Strict parsing and database ordering of the UUIDs that identify profiles and enrollments. */
final class Uuids {

    /** {@link UUID#fromString} also takes "1-1-1-1-1"; ids in paths and cursors must have one spelling only. */
    private static final Pattern CANONICAL =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private Uuids() {
    }

    /** @throws InvalidProfileInputException (MALFORMED_ID) naming {@code what}, not the text */
    static UUID parse(String text, String what) {
        if (text == null || !CANONICAL.matcher(text).matches()) {
            throw new InvalidProfileInputException(InvalidProfileInputException.Reason.MALFORMED_ID,
                    what + " is not a UUID (expected 8-4-4-4-12 hexadecimal digits)");
        }
        return UUID.fromString(text);
    }

    /**
     * The order PostgreSQL and H2 sort {@code uuid} columns in: the 16 bytes unsigned, which is the order of the
     * canonical text. {@link UUID#compareTo} compares signed halves and disagrees for ids from 8 upward.
     */
    static int compare(UUID a, UUID b) {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }
}
