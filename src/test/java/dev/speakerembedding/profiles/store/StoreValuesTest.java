package dev.speakerembedding.profiles.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** Page cursors, id order, and value records that keep identifying data out of their text. */
class StoreValuesTest {

    @Test
    void pageCursorsRoundTripAndRefuseWhatTheStoreDidNotMake() {
        PageCursor cursor = new PageCursor(Instant.parse("2026-11-27T10:00:00.123456789Z"), ProfileId.random());
        String token = cursor.encode();
        assertTrue(token.matches("[A-Za-z0-9_-]+"), "URL-safe without escaping: " + token);
        PageCursor back = PageCursor.parse(token);
        assertEquals(cursor, back);
        assertEquals(123_456_000, back.createdAt().getNano(), "microseconds, as stored");
        PageCursor beforeEpoch = new PageCursor(Instant.parse("1969-12-31T23:59:59.999999Z"), cursor.id());
        assertEquals(beforeEpoch, PageCursor.parse(beforeEpoch.encode()));

        String v2 = Base64.getUrlEncoder().withoutPadding().encodeToString(("v2:1:" + cursor.id()).getBytes());
        String hugeMicros = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v1:9999999999999999999:" + cursor.id()).getBytes());
        for (String bad : List.of("", "%%%", "djE6", v2, hugeMicros, token + "A", "A".repeat(200))) {
            InvalidProfileInputException e = assertThrows(InvalidProfileInputException.class,
                    () -> PageCursor.parse(bad), bad);
            assertEquals(InvalidProfileInputException.Reason.MALFORMED_CURSOR, e.reason());
        }
    }

    @Test
    void idsOrderAsTheDatabasesDoNotAsUuidCompareTo() {
        ProfileId low = new ProfileId(UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff"));
        ProfileId high = new ProfileId(UUID.fromString("80000000-0000-0000-0000-000000000000"));
        assertTrue(low.compareTo(high) < 0, "byte order, as the canonical text sorts");
        assertTrue(low.value().compareTo(high.value()) > 0, "UUID.compareTo disagrees (signed)");
        assertTrue(new EnrollmentId(low.value()).compareTo(new EnrollmentId(high.value())) < 0);
    }

    @Test
    void valuesNeverPrintExternalIdsMetadataOrVectors() {
        String externalId = "employee-4711@example.org";
        String metadata = "{\"name\":\"Jane Roe\"}";
        NewProfile newProfile = new NewProfile(externalId, metadata);
        Profile profile = new Profile(ProfileId.random(), externalId, metadata, Instant.EPOCH, Instant.EPOCH);
        NewEnrollment enrollment = StoreFixtures.enrollment(1);
        float[] unit = enrollment.unitEmbedding();
        ProfileVectors vectors = new ProfileVectors(profile.id(), List.of(unit), 10.25);
        for (Object value : List.of(newProfile, profile, enrollment, vectors)) {
            String text = value.toString();
            assertFalse(text.contains("4711"), text);
            assertFalse(text.contains("Jane"), text);
            assertFalse(text.contains(Float.toString(unit[0])), text);
            assertFalse(text.contains(Float.toString(unit[1])), text);
        }
    }

    @Test
    void aNewEnrollmentKeepsItsOwnUnitLengthCopy() {
        float[] raw = StoreFixtures.vector(3, StoreFixtures.DIMENSION);
        float[] original = raw.clone();
        NewEnrollment e = NewEnrollment.of(StoreFixtures.MODEL_A, raw, 4, 3);
        raw[0] = 1000;
        e.unitEmbedding()[1] = 1000;
        float[] unit = e.unitEmbedding();
        double norm = 0;
        for (float v : unit) {
            norm += (double) v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-6);
        assertEquals(original[1] / original[0], unit[1] / unit[0], 1e-5, "the caller's later changes do not reach it");
        assertEquals(e, NewEnrollment.of(StoreFixtures.MODEL_A, original, 4, 3));
    }
}
