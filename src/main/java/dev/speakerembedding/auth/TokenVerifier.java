package dev.speakerembedding.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Verifies bearer JWTs as MicroProfile JWT describes (signature by the configured key and algorithm, {@code iss},
 * {@code exp} required, {@code aud} when audiences are configured) with Nimbus JOSE+JWT, and hands back the groups.
 * Thread-safe; built once from the settings. Nothing here logs, and no exception message carries the token.
 */
public final class TokenVerifier {

    /** Large enough for any real JWT, small enough that parsing a hostile header costs nothing. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;

    private final DefaultJWTProcessor<SecurityContext> processor;

    /**
     * @throws InvalidKeyConfigurationException when the key cannot be read (no key set, a file that is missing, text
     *                                          that is neither PEM nor JWK): the caller refuses every token then
     */
    public TokenVerifier(JwtSettings settings) throws InvalidKeyConfigurationException {
        if (settings.issuer().isEmpty()) {
            throw new InvalidKeyConfigurationException("mp.jwt.verify.issuer (MP_JWT_VERIFY_ISSUER) is not set");
        }
        JWSAlgorithm algorithm = JWSAlgorithm.parse(settings.algorithm().trim().toUpperCase(Locale.ROOT));
        processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(keySelector(algorithm, settings));
        Set<String> required = new HashSet<>(List.of("exp"));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        exact.issuer(settings.issuer().get());
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                settings.audiences().isEmpty() ? null : settings.audiences(), exact.build(), required, null);
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, settings.clockSkew().toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
    }

    public VerifiedToken verify(String token) throws TokenRejectedException {
        if (token == null || token.isBlank()) {
            throw new TokenRejectedException("no token");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenRejectedException("token longer than " + MAX_TOKEN_CHARS + " characters");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new TokenRejectedException("not a signed JWT");
        } catch (BadJWTException e) {
            throw new TokenRejectedException(claimsReason(e.getMessage()));
        } catch (BadJOSEException e) {
            throw new TokenRejectedException("signature not verified by the configured key and algorithm");
        } catch (JOSEException e) {
            throw new TokenRejectedException("the key to verify it could not be had");
        }
        List<String> groups;
        try {
            groups = claims.getStringListClaim("groups");
        } catch (ParseException e) {
            throw new TokenRejectedException("groups claim is not a list of strings");
        }
        return new VerifiedToken(claims.getSubject(), groups == null ? Set.of() : Set.copyOf(groups));
    }

    /** Nimbus names the failed check in its message; keep only which check, never a claim's value. */
    private static String claimsReason(String message) {
        String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
        if (m.contains("missing required")) {
            return "a required claim (exp) is missing";
        }
        if (m.contains("expired")) {
            return "expired";
        }
        if (m.contains("iss claim")) {
            return "issued by another issuer than the configured one";
        }
        if (m.contains("aud claim") || m.contains("audience")) {
            return "not for this audience";
        }
        if (m.contains("before use time") || m.contains("nbf")) {
            return "not valid yet";
        }
        return "claims not accepted";
    }

    /**
     * One configured key verifies every token whatever its {@code kid} (as MicroProfile JWT has it for a PEM key);
     * from a set of several, or a JWKS URL, the key is chosen by the token's {@code kid} and the algorithm.
     */
    private static JWSKeySelector<SecurityContext> keySelector(JWSAlgorithm algorithm, JwtSettings settings)
            throws InvalidKeyConfigurationException {
        JWKSet keys;
        if (settings.publicKey().isPresent()) {
            keys = parseKeys(settings.publicKey().get(), "mp.jwt.verify.publickey");
        } else if (settings.publicKeyLocation().isPresent()) {
            String location = settings.publicKeyLocation().get().trim();
            String lower = location.toLowerCase(Locale.ROOT);
            if (lower.startsWith("https://") || lower.startsWith("http://")) {
                try {
                    URL url = URI.create(location).toURL();
                    return new JWSVerificationKeySelector<>(algorithm, JWKSourceBuilder.create(url).build());
                } catch (IllegalArgumentException | MalformedURLException e) {
                    throw new InvalidKeyConfigurationException("mp.jwt.verify.publickey.location is not a valid URL: "
                            + location);
                }
            }
            Path file = lower.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
            try {
                keys = parseKeys(Files.readString(file, StandardCharsets.UTF_8),
                        "mp.jwt.verify.publickey.location " + file);
            } catch (IOException e) {
                throw new InvalidKeyConfigurationException("mp.jwt.verify.publickey.location " + file
                        + " cannot be read: " + e);
            }
        } else {
            throw new InvalidKeyConfigurationException("neither mp.jwt.verify.publickey nor "
                    + "mp.jwt.verify.publickey.location (MP_JWT_VERIFY_PUBLICKEY, MP_JWT_VERIFY_PUBLICKEY_LOCATION) "
                    + "is set");
        }
        if (keys.getKeys().size() == 1 && keys.getKeys().get(0) instanceof AsymmetricJWK single) {
            try {
                return new SingleKeyJWSKeySelector<>(algorithm, single.toPublicKey());
            } catch (JOSEException e) {
                throw new InvalidKeyConfigurationException("the configured JWK holds no usable public key: "
                        + e.getMessage());
            }
        }
        return new JWSVerificationKeySelector<>(algorithm, new ImmutableJWKSet<>(keys));
    }

    /** A PEM public key (RSA or EC), a JWK or a JWK set. */
    static JWKSet parseKeys(String text, String where) throws InvalidKeyConfigurationException {
        String t = text.trim();
        try {
            if (t.startsWith("{")) {
                return t.contains("\"keys\"") ? JWKSet.parse(t) : new JWKSet(JWK.parse(t));
            }
            if (t.startsWith("-----BEGIN PUBLIC KEY-----")) {
                String base64 = t.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
                        .replaceAll("\\s", "");
                byte[] der = Base64.getDecoder().decode(base64);
                return new JWKSet(jwk(der));
            }
        } catch (ParseException | IllegalArgumentException | GeneralSecurityException e) {
            throw new InvalidKeyConfigurationException(where + " holds no usable public key: " + e.getMessage());
        }
        throw new InvalidKeyConfigurationException(where + " is neither a PEM public key (-----BEGIN PUBLIC KEY-----) "
                + "nor a JWK or JWK set (JSON)");
    }

    private static JWK jwk(byte[] der) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException notRsa) {
            key = KeyFactory.getInstance("EC").generatePublic(spec);
        }
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).build();
        }
        if (key instanceof ECPublicKey ec) {
            return new ECKey.Builder(com.nimbusds.jose.jwk.Curve.forECParameterSpec(ec.getParams()), ec).build();
        }
        throw new GeneralSecurityException("neither an RSA nor an EC public key");
    }
}
