package dev.speakerembedding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {

    static final String ISSUER = "https://issuer.test";
    static RSAKey key;
    static RSAKey other;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void keys() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
        other = new RSAKeyGenerator(2048).keyID("k1").generate();
    }

    static String pem(RSAKey k) throws Exception {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(k.toRSAPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    static JwtSettings inline(String keyText, Set<String> audiences) {
        return new JwtSettings(Optional.of(ISSUER), Optional.of(keyText), Optional.empty(), audiences, "RS256",
                Duration.ofSeconds(60));
    }

    static String sign(RSAKey signer, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signer.getKeyID()).build(),
                claims);
        jwt.sign(new RSASSASigner(signer));
        return jwt.serialize();
    }

    static JWTClaimsSet.Builder claims(String issuer, long expiresInSeconds, String... groups) {
        return new JWTClaimsSet.Builder().issuer(issuer).subject("s").claim("groups", List.of(groups))
                .expirationTime(Date.from(Instant.now().plusSeconds(expiresInSeconds)));
    }

    static String reason(TokenVerifier v, String token) {
        TokenRejectedException e = assertThrows(TokenRejectedException.class, () -> v.verify(token));
        assertFalse(e.getMessage().contains(token), "the reason never holds the token");
        return e.getMessage();
    }

    @Test
    void aGoodTokenGivesItsGroupsFromAPemFileAJwkOrAJwkSet() throws Exception {
        String token = sign(key, claims(ISSUER, 600, "profiles-manage", "x").build());
        Path file = tmp.resolve("key.pem");
        Files.writeString(file, pem(key));
        JwtSettings fromFile = new JwtSettings(Optional.of(ISSUER), Optional.empty(), Optional.of(file.toString()),
                Set.of(), "RS256", Duration.ofSeconds(60));
        for (JwtSettings s : List.of(fromFile, inline(pem(key), Set.of()),
                inline(key.toPublicJWK().toJSONString(), Set.of()),
                inline(new JWKSet(key.toPublicJWK()).toString(), Set.of()))) {
            assertEquals(Set.of("profiles-manage", "x"), new TokenVerifier(s).verify(token).groups());
        }
    }

    @Test
    void everyBadTokenIsRefusedWithItsReason() throws Exception {
        TokenVerifier v = new TokenVerifier(inline(pem(key), Set.of()));
        assertEquals("expired", reason(v, sign(key, claims(ISSUER, -3600, "g").build())));
        assertTrue(reason(v, sign(key, claims("https://elsewhere", 600, "g").build())).contains("issuer"));
        assertTrue(reason(v, sign(other, claims(ISSUER, 600, "g").build())).contains("signature"));
        assertEquals("not a signed JWT", reason(v, "garbage.token"));
        assertTrue(reason(v, sign(key, new JWTClaimsSet.Builder().issuer(ISSUER).build())).contains("exp"));
        // Within the clock skew an expired token still passes; beyond it, not.
        assertEquals(Set.of("g"), v.verify(sign(key, claims(ISSUER, -30, "g").build())).groups());
        // Another algorithm than the configured one, even with a valid key of its own kind.
        ECKey ec = new ECKeyGenerator(Curve.P_256).generate();
        SignedJWT es = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).build(), claims(ISSUER, 600).build());
        es.sign(new ECDSASigner(ec));
        TokenVerifier ecVerifier = new TokenVerifier(inline(ec.toPublicJWK().toJSONString(), Set.of()));
        assertTrue(reason(ecVerifier, es.serialize()).contains("signature"));
        assertEquals(Set.of(), new TokenVerifier(new JwtSettings(Optional.of(ISSUER), Optional.of(
                ec.toPublicJWK().toJSONString()), Optional.empty(), Set.of(), "ES256", Duration.ZERO))
                .verify(es.serialize()).groups());
    }

    @Test
    void aJwksUrlIsFetchedOnceAndTheKeyChosenByKid() throws Exception {
        RSAKey second = new RSAKeyGenerator(2048).keyID("k2").generate();
        byte[] jwks = new JWKSet(List.of(key.toPublicJWK(), second.toPublicJWK())).toString()
                .getBytes(StandardCharsets.UTF_8);
        AtomicInteger fetches = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        server.start();
        try {
            TokenVerifier v = new TokenVerifier(new JwtSettings(Optional.of(ISSUER), Optional.empty(), Optional.of(
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks"), Set.of(), "RS256",
                    Duration.ofSeconds(60)));
            assertEquals(Set.of("a"), v.verify(sign(key, claims(ISSUER, 600, "a").build())).groups());
            assertEquals(Set.of("b"), v.verify(sign(second, claims(ISSUER, 600, "b").build())).groups());
            assertTrue(reason(v, sign(other, claims(ISSUER, 600, "c").build())).contains("signature"),
                    "k1's id on another key's signature");
            assertEquals(1, fetches.get(), "the set is cached");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void audiencesAreCheckedWhenConfigured() throws Exception {
        TokenVerifier v = new TokenVerifier(inline(pem(key), Set.of("speaker-embedding")));
        assertTrue(reason(v, sign(key, claims(ISSUER, 600, "g").audience("other").build())).contains("audience"));
        assertEquals(Set.of("g"), v.verify(sign(key, claims(ISSUER, 600, "g").audience("speaker-embedding").build()))
                .groups());
    }

    @Test
    void anUnusableConfigurationSaysWhatIsWrong() {
        assertTrue(assertThrows(InvalidKeyConfigurationException.class, () -> new TokenVerifier(new JwtSettings(
                Optional.empty(), Optional.of("x"), Optional.empty(), Set.of(), "RS256", Duration.ZERO)))
                .getMessage().contains("mp.jwt.verify.issuer"));
        assertTrue(assertThrows(InvalidKeyConfigurationException.class, () -> new TokenVerifier(
                inline("not a key", Set.of()))).getMessage().contains("neither a PEM"));
        assertTrue(assertThrows(InvalidKeyConfigurationException.class, () -> new TokenVerifier(new JwtSettings(
                Optional.of(ISSUER), Optional.empty(), Optional.of(tmp.resolve("absent.pem").toString()), Set.of(),
                "RS256", Duration.ZERO))).getMessage().contains("cannot be read"));
        assertTrue(assertThrows(InvalidKeyConfigurationException.class, () -> new TokenVerifier(new JwtSettings(
                Optional.of(ISSUER), Optional.empty(), Optional.empty(), Set.of(), "RS256", Duration.ZERO)))
                .getMessage().contains("mp.jwt.verify.publickey"));
    }
}
