package dev.speakerembedding.profiles.store;

import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import dev.speakerembedding.profiles.store.InvalidProfileInputException.Reason;

/**
 * The bounds on what a caller may store beside the vectors, checked before any SQL runs so that refused input
 * leaves nothing behind. The columns are bounded too (migration V1), as a second line.
 */
public final class ProfileInputs {

    /** UTF-16 units; the column holds this many characters, so any string that passes fits. */
    public static final int MAX_EXTERNAL_ID_LENGTH = 256;
    /**
     * "A small JSON object": a few labels, never a document store. 4 KiB of UTF-8 keeps a page of 100 profiles
     * under half a megabyte.
     */
    public static final int MAX_METADATA_BYTES = 4096;

    private ProfileInputs() {
    }

    /**
     * @throws InvalidProfileInputException (INVALID_EXTERNAL_ID) when blank, longer than
     *                                      {@value #MAX_EXTERNAL_ID_LENGTH} or holding a control character
     */
    public static String checkExternalId(String externalId) {
        if (externalId == null) {
            throw new InvalidProfileInputException(Reason.INVALID_EXTERNAL_ID, "external_id is missing");
        }
        if (externalId.isBlank()) {
            throw new InvalidProfileInputException(Reason.INVALID_EXTERNAL_ID, "external_id is empty or blank");
        }
        if (externalId.length() > MAX_EXTERNAL_ID_LENGTH) {
            throw new InvalidProfileInputException(Reason.INVALID_EXTERNAL_ID, "external_id has "
                    + externalId.length() + " characters, at most " + MAX_EXTERNAL_ID_LENGTH + " are allowed");
        }
        if (externalId.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidProfileInputException(Reason.INVALID_EXTERNAL_ID,
                    "external_id holds a control character");
        }
        checkEncodable(externalId, Reason.INVALID_EXTERNAL_ID, "external_id");
        return externalId;
    }

    /**
     * Checks size and encodability only: the edge parses the JSON and hands over its serialised text.
     *
     * @throws InvalidProfileInputException (METADATA_TOO_LARGE) over {@value #MAX_METADATA_BYTES} bytes of UTF-8,
     *                                      (INVALID_METADATA) with a NUL (PostgreSQL text cannot hold one) or a
     *                                      lone surrogate
     */
    public static String checkMetadata(String metadataJson) {
        if (metadataJson == null) {
            throw new InvalidProfileInputException(Reason.INVALID_METADATA, "metadata is missing");
        }
        // A String of more than MAX bytes / 1 chars cannot fit; avoid encoding megabytes to find that out.
        if (metadataJson.length() > MAX_METADATA_BYTES) {
            throw new InvalidProfileInputException(Reason.METADATA_TOO_LARGE, "metadata has more than "
                    + MAX_METADATA_BYTES + " bytes of UTF-8 (" + metadataJson.length() + " characters)");
        }
        if (metadataJson.indexOf('\0') >= 0) {
            throw new InvalidProfileInputException(Reason.INVALID_METADATA, "metadata holds a NUL character");
        }
        int bytes = checkEncodable(metadataJson, Reason.INVALID_METADATA, "metadata");
        if (bytes > MAX_METADATA_BYTES) {
            throw new InvalidProfileInputException(Reason.METADATA_TOO_LARGE, "metadata has " + bytes
                    + " bytes of UTF-8, at most " + MAX_METADATA_BYTES + " are allowed");
        }
        return metadataJson;
    }

    /** The UTF-8 size of {@code text}; refuses lone surrogates, which an encoder would silently turn into '?'. */
    private static int checkEncodable(String text, Reason reason, String what) {
        try {
            return StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text))
                    .remaining();
        } catch (CharacterCodingException e) {
            throw new InvalidProfileInputException(reason, what + " is not valid Unicode (a lone surrogate)");
        }
    }
}
