package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.profiles.store.InvalidProfileInputException;
import dev.speakerembedding.profiles.store.NewProfile;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the profile endpoints accept before anything reaches the store, and from where. */
class ProfileRequestsTest {

    private static NewProfile parse(String json) throws ProblemException {
        return SpeakerResource.newProfile(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String code(String json) {
        try {
            parse(json);
        } catch (ProblemException e) {
            return e.type().code();
        } catch (InvalidProfileInputException e) {
            return ProfileStoreExceptionMapper.problem(e).type().code();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aProfileTakesAnExternalIdAndAMetadataObjectOnly() throws Exception {
        NewProfile p = parse("{\"external_id\":\"emp-1\",\"metadata\":{\"a\":[1,2],\"b\":null}}");
        assertEquals("emp-1", p.externalId());
        assertEquals("{\"a\":[1,2],\"b\":null}", p.metadataJson());
        assertEquals(NewProfile.EMPTY, parse(""));
        assertEquals(NewProfile.EMPTY, parse("{}"));
        assertEquals(NewProfile.EMPTY, parse("{\"external_id\":null,\"metadata\":null}"));
        assertNull(parse("{\"external_id\":\"x\"}").metadataJson());
    }

    @Test
    void anythingElseIsRefusedWithItsCode() {
        assertEquals("invalid_json", code("[1]"));
        assertEquals("invalid_json", code("{\"name\":\"x\"}"));
        assertEquals("invalid_json", code("{\"external_id\":"));
        assertEquals("invalid_external_id", code("{\"external_id\":7}"));
        assertEquals("invalid_external_id", code("{\"external_id\":\"  \"}"));
        assertEquals("invalid_external_id", code("{\"external_id\":\"" + "x".repeat(257) + "\"}"));
        assertEquals("invalid_metadata", code("{\"metadata\":\"text\"}"));
        assertEquals("invalid_metadata", code("{\"metadata\":[1]}"));
        assertEquals("metadata_too_large", code("{\"metadata\":{\"x\":\"" + "y".repeat(4100) + "\"}}"));
    }

    @Test
    void onlyLoopbackLiteralsAreLocal() {
        for (String local : new String[] {"127.0.0.1", "127.8.9.10", "::1", "0:0:0:0:0:0:0:1", "[::1]"}) {
            assertTrue(ProfileAuthorizationFilter.isLoopback(local), local);
        }
        for (String remote : new String[] {"10.0.0.1", "192.168.1.5", "::2", "fe80::1", "0.0.0.0", "localhost",
                "example.com", "", null}) {
            assertFalse(ProfileAuthorizationFilter.isLoopback(remote), String.valueOf(remote));
        }
    }

    @Test
    void theProfileStoresRefusalsBecomeTheirProblems() {
        assertEquals(ProblemType.MALFORMED_ID, ProfileStoreExceptionMapper.problem(
                assertThrows(InvalidProfileInputException.class, () -> ProfileService.parseId("42"))).type());
        assertEquals(400, ProblemType.MALFORMED_ID.status());
        assertEquals(503, ProblemType.PROFILE_STORE_UNAVAILABLE.status());
        assertEquals(409, ProblemType.PROFILE_NOT_ENROLLED.status());
    }
}
