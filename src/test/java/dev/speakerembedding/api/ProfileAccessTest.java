package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class ProfileAccessTest {

    private static final Set<String> MANAGER = Set.of("profiles-manage");
    private static final Set<String> VERIFIER = Set.of("profiles-verify");

    @Test
    void withoutJwtConfigurationOnlyLoopbackIsAnsweredTokenOrNot() {
        assertTrue(ProfileAccess.decide(false, "127.0.0.1", false, null, ProfileRole.MANAGE, null).allowed());
        assertTrue(ProfileAccess.decide(false, "::1", true, null, ProfileRole.VERIFY, null).allowed());
        ProfileAccess.Decision remote = ProfileAccess.decide(false, "10.251.0.2", true, MANAGER, ProfileRole.MANAGE, null);
        assertEquals(ProblemType.FORBIDDEN, remote.problem());
        assertNull(remote.challenge());
    }

    @Test
    void withJwtConfiguredATokenIsNeededFromLoopbackToo() {
        ProfileAccess.Decision none = ProfileAccess.decide(true, "127.0.0.1", false, null, ProfileRole.MANAGE, null);
        assertEquals(ProblemType.UNAUTHORIZED, none.problem());
        assertEquals("Bearer realm=\"speaker-profiles\"", none.challenge());
        ProfileAccess.Decision rejected = ProfileAccess.decide(true, "10.251.0.2", true, null, ProfileRole.VERIFY,
                "expired");
        assertTrue(rejected.detail().contains("(expired)"), rejected.detail());
        assertEquals(ProblemType.UNAUTHORIZED, rejected.problem());
        assertEquals("Bearer realm=\"speaker-profiles\", error=\"invalid_token\"", rejected.challenge());
    }

    @Test
    void eachRoleOpensItsOwnOperationsOnly() {
        assertTrue(ProfileAccess.decide(true, "10.251.0.2", true, MANAGER, ProfileRole.MANAGE, null).allowed());
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, VERIFIER, ProfileRole.VERIFY, null).allowed());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, MANAGER, ProfileRole.VERIFY, null).problem());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, VERIFIER, ProfileRole.MANAGE, null).problem());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, Set.of(), ProfileRole.VERIFY, null).problem());
        Set<String> both = Set.of("profiles-manage", "profiles-verify");
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, both, ProfileRole.MANAGE, null).allowed());
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, both, ProfileRole.VERIFY, null).allowed());
    }

    @Test
    void onlyTheBearerSchemeCarriesAToken() {
        assertEquals("abc", ProfileAuthorizationFilter.bearerToken("Bearer abc"));
        assertEquals("abc", ProfileAuthorizationFilter.bearerToken("bearer  abc "));
        assertNull(ProfileAuthorizationFilter.bearerToken("Bearer "));
        assertNull(ProfileAuthorizationFilter.bearerToken("Bearer    "));
        assertNull(ProfileAuthorizationFilter.bearerToken("Basic dXNlcjpwYXNz"));
        assertNull(ProfileAuthorizationFilter.bearerToken(null));
    }
}
