package dev.speakerembedding.api;

import java.util.Set;

/**
 * Who may call a speaker-profile operation, decided from what the request carries: plain Java, so every branch is
 * unit-tested without a server. Two modes:
 * <ul>
 *   <li>no JWT configuration: only requests from loopback (the TCP peer's address), with or without a token;</li>
 *   <li>JWT configured: a token the server verified (signature, issuer, expiry) carrying the operation's role in its
 *       {@code groups} claim, from every address, loopback included: a local process is not trusted more than a
 *       remote one once authorization is on.</li>
 * </ul>
 */
public final class ProfileAccess {

    /** The outcome; {@code problem} and {@code challenge} are null when allowed. */
    public record Decision(ProblemType problem, String detail, String challenge) {
        static final Decision ALLOWED = new Decision(null, null, null);

        public boolean allowed() {
            return problem == null;
        }
    }

    /** RFC 6750 challenge realm of the 401 answers. */
    static final String REALM = "speaker-profiles";

    private ProfileAccess() {
    }

    /**
     * @param jwtConfigured  whether the server verifies JWTs (mp.jwt.verify.* configured)
     * @param remoteAddress  the TCP peer's address literal
     * @param bearerSent     whether the request carried an {@code Authorization: Bearer} header
     * @param verifiedGroups the groups of the token the server verified, or null when none was verified (absent,
     *                       malformed, badly signed, expired, from another issuer)
     * @param required       the role the operation needs
     * @param rejection      why a token that was sent was not accepted, in words safe to show (never the token)
     */
    public static Decision decide(boolean jwtConfigured, String remoteAddress, boolean bearerSent,
                                  Set<String> verifiedGroups, ProfileRole required, String rejection) {
        if (!jwtConfigured) {
            return ProfileAuthorizationFilter.isLoopback(remoteAddress) ? Decision.ALLOWED
                    : new Decision(ProblemType.FORBIDDEN, "the speaker profile endpoints answer only requests from "
                    + "this host (loopback) while no authorization is configured; see README, Speaker profiles", null);
        }
        if (verifiedGroups == null) {
            return bearerSent
                    ? new Decision(ProblemType.UNAUTHORIZED, "the bearer token was not accepted ("
                    + (rejection == null ? "not verified" : rejection) + "): it must be a JWT signed by the "
                    + "configured key, from the configured issuer, and not expired",
                    "Bearer realm=\"" + REALM + "\", error=\"invalid_token\"")
                    : new Decision(ProblemType.UNAUTHORIZED, "the speaker profile endpoints need a bearer token "
                    + "(Authorization: Bearer <JWT>)", "Bearer realm=\"" + REALM + "\"");
        }
        if (!verifiedGroups.contains(required.group())) {
            return new Decision(ProblemType.FORBIDDEN, "this operation needs the role " + required.group()
                    + " in the token's groups claim", null);
        }
        return Decision.ALLOWED;
    }
}
