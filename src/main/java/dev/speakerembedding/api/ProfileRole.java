package dev.speakerembedding.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The roles a JWT's {@code groups} claim grants on the speaker-profile endpoints (README "Speaker profiles",
 * Security). They are separate on purpose: the service that enrolls people need not be able to identify voices,
 * and a verifier need not read or change profiles; a client that does both carries both groups.
 */
public enum ProfileRole {
    /** Create, list, read and delete profiles; enroll into them, list and delete their enrollments. */
    MANAGE("profiles-manage"),
    /** Verify audio against a profile and identify a voice among the profiles. */
    VERIFY("profiles-verify");

    private final String group;

    ProfileRole(String group) {
        this.group = group;
    }

    /** The value of the JWT {@code groups} claim that grants this role. */
    public String group() {
        return group;
    }

    /** The role an operation of a {@link ProfileEndpoint} needs: on the method, else on its class. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.TYPE, ElementType.METHOD})
    public @interface Required {
        ProfileRole value();
    }
}
