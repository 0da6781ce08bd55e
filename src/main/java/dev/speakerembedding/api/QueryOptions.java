package dev.speakerembedding.api;

import jakarta.ws.rs.core.MultivaluedMap;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Query options are checked strictly: a misspelt option ({@code normalise=true}) silently ignored would return
 * numbers the caller did not ask for, so unknown names and values are refused.
 */
final class QueryOptions {

    private QueryOptions() {
    }

    static void requireKnown(MultivaluedMap<String, String> query, Set<String> known) throws ProblemException {
        for (var entry : query.entrySet()) {
            if (!known.contains(entry.getKey())) {
                throw ProblemType.INVALID_OPTION.exception("unknown query option '"
                        + RequestBodies.truncate(entry.getKey()) + "'; this operation takes "
                        + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
            }
            if (entry.getValue().size() > 1) {
                throw ProblemType.INVALID_OPTION.exception("query option " + entry.getKey() + " is given "
                        + entry.getValue().size() + " times");
            }
        }
    }

    /**
     * {@code true} or {@code false} in any case, as the document's boolean type says; absent is false. Anything else,
     * {@code 1}, {@code yes} or an empty value included, is refused: a flag whose meaning the caller has to guess
     * is how a request gets numbers it did not ask for.
     */
    static boolean flag(String name, String value) throws ProblemException {
        if (value == null) {
            return false;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ProblemType.INVALID_OPTION.exception("query option " + name
                    + " must be true or false, got '" + RequestBodies.truncate(value) + "'");
        };
    }

    /** A cosine threshold in [-1, 1]; absent gives {@code defaultValue}, an empty value is refused. */
    static double threshold(String name, String value, double defaultValue) throws ProblemException {
        if (value == null) {
            return defaultValue;
        }
        double parsed;
        try {
            parsed = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            parsed = Double.NaN;
        }
        if (!(parsed >= -1.0 && parsed <= 1.0)) {
            throw ProblemType.INVALID_OPTION.exception("query option " + name
                    + " must be a number from -1 to 1, got '" + RequestBodies.truncate(value) + "'");
        }
        return parsed;
    }

    /** An integer in [min, max]; absent gives {@code defaultValue}. */
    static int integer(String name, String value, int defaultValue, int min, int max) throws ProblemException {
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // answered below, as any other value out of range
        }
        throw ProblemType.INVALID_OPTION.exception("query option " + name + " must be an integer from " + min
                + " to " + max + ", got '" + RequestBodies.truncate(value) + "'");
    }
}
