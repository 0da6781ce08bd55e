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
        assertTrue(ProfileAccess.decide(false, "127.0.0.1", false, null, ProfileRole.MANAGE).allowed());
        assertTrue(ProfileAccess.decide(false, "::1", true, null, ProfileRole.VERIFY).allowed());
        ProfileAccess.Decision remote = ProfileAccess.decide(false, "10.251.0.2", true, MANAGER, ProfileRole.MANAGE);
        assertEquals(ProblemType.FORBIDDEN, remote.problem());
        assertNull(remote.challenge());
    }

    @Test
    void withJwtConfiguredATokenIsNeededFromLoopbackToo() {
        ProfileAccess.Decision none = ProfileAccess.decide(true, "127.0.0.1", false, null, ProfileRole.MANAGE);
        assertEquals(ProblemType.UNAUTHORIZED, none.problem());
        assertEquals("Bearer realm=\"speaker-profiles\"", none.challenge());
        ProfileAccess.Decision rejected = ProfileAccess.decide(true, "10.251.0.2", true, null, ProfileRole.VERIFY);
        assertEquals(ProblemType.UNAUTHORIZED, rejected.problem());
        assertEquals("Bearer realm=\"speaker-profiles\", error=\"invalid_token\"", rejected.challenge());
    }

    @Test
    void eachRoleOpensItsOwnOperationsOnly() {
        assertTrue(ProfileAccess.decide(true, "10.251.0.2", true, MANAGER, ProfileRole.MANAGE).allowed());
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, VERIFIER, ProfileRole.VERIFY).allowed());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, MANAGER, ProfileRole.VERIFY).problem());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, VERIFIER, ProfileRole.MANAGE).problem());
        assertEquals(ProblemType.FORBIDDEN,
                ProfileAccess.decide(true, "127.0.0.1", true, Set.of(), ProfileRole.VERIFY).problem());
        Set<String> both = Set.of("profiles-manage", "profiles-verify");
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, both, ProfileRole.MANAGE).allowed());
        assertTrue(ProfileAccess.decide(true, "127.0.0.1", true, both, ProfileRole.VERIFY).allowed());
    }

    @Test
    void onlyTheBearerSchemeCountsAsATokenSent() {
        assertTrue(ProfileAuthorizationFilter.bearerSent("Bearer abc"));
        assertTrue(ProfileAuthorizationFilter.bearerSent("bearer abc"));
        assertFalse(ProfileAuthorizationFilter.bearerSent("Bearer "));
        assertFalse(ProfileAuthorizationFilter.bearerSent("Basic dXNlcjpwYXNz"));
        assertFalse(ProfileAuthorizationFilter.bearerSent(null));
    }
}
