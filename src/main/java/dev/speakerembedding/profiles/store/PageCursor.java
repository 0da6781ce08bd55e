package dev.speakerembedding.profiles.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.speakerembedding.profiles.store.InvalidProfileInputException.Reason;

/**
 * Where a page of profiles ends: the (created_at, id) of its last profile. The next page starts after it, so
 * pages neither repeat nor skip a profile when others are created or deleted between requests, as OFFSET paging
 * would, and each page is an index range scan however deep it is.
 *
 * <p>Its text form is opaque to clients (base64url of {@code v1:<epoch microseconds>:<uuid>}) so that the order
 * can change without breaking their code; it holds no external id or metadata.
 *
 * @param createdAt the last profile's creation time (microseconds)
 * @param id        the last profile's id
 */
public record PageCursor(Instant createdAt, ProfileId id) {

    private static final Pattern TEXT = Pattern.compile("v1:(-?[0-9]{1,19}):([0-9a-f-]{36})");
    private static final int MAX_TOKEN_LENGTH = 128;

    public PageCursor {
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(id, "id");
        createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
    }

    public String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
        String text = "v1:" + micros + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws InvalidProfileInputException (MALFORMED_CURSOR) when {@code token} is not one {@link #encode} made */
    public static PageCursor parse(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            throw malformed();
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw malformed();
        }
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            throw malformed();
        }
        try {
            long micros = Long.parseLong(m.group(1));
            Instant createdAt = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
            return new PageCursor(createdAt, new ProfileId(Uuids.parse(m.group(2), "cursor")));
        } catch (ArithmeticException | NumberFormatException | java.time.DateTimeException
                 | InvalidProfileInputException e) {
            throw malformed();
        }
    }

    private static InvalidProfileInputException malformed() {
        return new InvalidProfileInputException(Reason.MALFORMED_CURSOR,
                "page cursor is not one this service handed out");
    }
}
