package dev.speakerembedding.auth;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * MicroProfile JWT's verification settings, by their standard names (README "Speaker profiles", Security).
 *
 * @param issuer            mp.jwt.verify.issuer: the only {@code iss} accepted
 * @param publicKey         mp.jwt.verify.publickey: a PEM public key, a JWK or a JWK set, as text
 * @param publicKeyLocation mp.jwt.verify.publickey.location: a file (path or file: URL) holding one of those, or an
 *                          http(s) URL of a JWK set (fetched when needed, cached, refreshed for an unknown key id)
 * @param audiences         mp.jwt.verify.audiences: when not empty, the token's {@code aud} must name one of them
 * @param algorithm         mp.jwt.verify.publickey.algorithm: the one signature algorithm accepted (RS256 default)
 * @param clockSkew         mp.jwt.verify.clock.skew: tolerance on {@code exp}, {@code nbf} and {@code iat}
 */
public record JwtSettings(Optional<String> issuer, Optional<String> publicKey, Optional<String> publicKeyLocation,
                          Set<String> audiences, String algorithm, Duration clockSkew) {

    public static final String DEFAULT_ALGORITHM = "RS256";
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

    /** JWT authorization is on once any of issuer, key or key location is set: a half-done setting refuses tokens. */
    public boolean configured() {
        return issuer.isPresent() || publicKey.isPresent() || publicKeyLocation.isPresent();
    }

    /** Where the key comes from, for a log line: never the key itself. */
    public String keySource() {
        if (publicKey.isPresent()) {
            return "inline (mp.jwt.verify.publickey)";
        }
        return publicKeyLocation.map(l -> "from " + l).orElse("(not set: every token is refused)");
    }
}
