package dev.speakerembedding.auth;

import java.util.Set;

/** What the service uses of a verified JWT: who (for nothing but this record) and the groups that grant roles. */
public record VerifiedToken(String subject, Set<String> groups) {

    public VerifiedToken {
        groups = Set.copyOf(groups);
    }
}
