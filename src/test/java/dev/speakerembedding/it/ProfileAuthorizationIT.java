package dev.speakerembedding.it;

import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may call the speaker-profile endpoints, through real Liberty servers: with JWT configured (a test RSA key
 * generated here, its public key given to the server as a PEM file), each role's token works on its own
 * operations and is refused (403) on the other role's, and every bad token is 401 problem+json, from loopback and
 * from a network namespace alike; with no JWT configuration, a request from a non-loopback address is 403 whatever it
 * carries. No token ever reaches a log.
 */
class ProfileAuthorizationIT {

    static final String ISSUER = "https://issuer.speaker-embedding.test";
    static final String MANAGE = "profiles-manage";
    static final String VERIFY = "profiles-verify";

    private static HubStandIn hub;
    private static KeyPair key;
    private static KeyPair otherKey;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        key = rsa.generateKeyPair();
        otherKey = rsa.generateKeyPair();
    }

    @AfterAll
    static void stopHub() throws Exception {
        if (hub != null) {
            hub.close();
        }
    }

    static String token(PrivateKey signer, String issuer, Instant expires, String... groups) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject("client-" + groups.length)
                .claim("upn", "client@speaker-embedding.test").claim("groups", List.of(groups))
                .issueTime(Date.from(Instant.now().minusSeconds(60))).expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString()).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).build(),
                claims);
        jwt.sign(new RSASSASigner(signer));
        return jwt.serialize();
    }

    static String good(String... groups) throws Exception {
        return token(key.getPrivate(), ISSUER, Instant.now().plusSeconds(3600), groups);
    }

    private Map<String, String> serverEnv(Path cache, boolean jwt) throws Exception {
        Map<String, String> e = env(hub, cache);
        e.put("ENROLLMENT_MIN_SPEECH_SECONDS", "1");
        e.put("PROFILE_DB_RETRY_SECONDS", "1");
        e.put("HTTP_HOST", "*"); // all interfaces: the namespace's requests arrive on the veth
        if (jwt) {
            Path pem = tmp.resolve("issuer-public.pem");
            Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                    .encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            e.put("MP_JWT_VERIFY_ISSUER", ISSUER);
            e.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", pem.toString());
        }
        return e;
    }

    static HttpResponse<String> send(LibertyServer s, String method, String path, String token, String contentType,
                                     byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri(path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        return s.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonObject ok(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        return json(r.body());
    }

    static void problem(int status, String code, HttpResponse<String> r) {
        problem(status, code, r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        if (status == 401) {
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            assertTrue(challenge.startsWith("Bearer realm=\"speaker-profiles\""), challenge);
        } else {
            assertFalse(r.headers().firstValue("WWW-Authenticate").isPresent(), r.headers().toString());
        }
    }

    static void problem(int status, String code, int actualStatus, String contentType, String body) {
        assertEquals(status, actualStatus, body);
        assertEquals("application/problem+json", contentType, body);
        assertEquals(code, json(body).getString("code"), body);
    }

    /** A ready server whose profile store answers (with {@code token} when JWT is on). */
    static LibertyServer start(Map<String, String> env, Path out, String token) throws Exception {
        LibertyServer s = ServerTestSupport.startReady(env, out);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            HttpResponse<String> last;
            do {
                last = send(s, "GET", "/v1/speakers?limit=1", token, null, null);
                if (last.statusCode() == 200) {
                    return s;
                }
                Thread.sleep(200);
            } while (System.nanoTime() < deadline);
            throw new AssertionError("profile store not ready: " + last.statusCode() + " " + last.body());
        } catch (Throwable t) {
            s.close();
            throw t;
        }
    }

    @Test
    void withJwtEachRoleWorksOnItsOperationsAndEveryBadTokenIs401() throws Exception {
        String manager = good(MANAGE);
        String verifier = good(VERIFY);
        String both = good(MANAGE, VERIFY);
        String noRole = good();
        String wrongSignature = token(otherKey.getPrivate(), ISSUER, Instant.now().plusSeconds(3600), MANAGE, VERIFY);
        String expired = token(key.getPrivate(), ISSUER, Instant.now().minusSeconds(3600), MANAGE, VERIFY);
        String wrongIssuer = token(key.getPrivate(), "https://other-issuer.test", Instant.now().plusSeconds(3600),
                MANAGE, VERIFY);
        String garbage = "not-a-jwt." + UUID.randomUUID();
        List<String> tokens = List.of(manager, verifier, both, noRole, wrongSignature, expired, wrongIssuer, garbage);
        byte[] wav = ProfilesIT.input(ProfilesIT.SPEAKER_A);

        try (LibertyServer s = start(serverEnv(tmp.resolve("cache-jwt"), true), tmp.resolve("jwt-server"), manager)) {
            // profiles-manage: create, enroll, read, list.
            String id = ok(201, send(s, "POST", "/v1/speakers", manager, "application/json",
                    "{\"external_id\":\"auth-a\"}".getBytes())).getString("id");
            JsonObject enrolled = ok(201, send(s, "POST", "/v1/speakers/" + id + "/enrollments", manager,
                    "audio/wav", wav));
            assertEquals("enrolled", enrolled.getJsonObject("speaker").getString("state"));
            assertEquals(id, ok(200, send(s, "GET", "/v1/speakers/" + id, manager, null, null)).getString("id"));
            assertEquals(1, ok(200, send(s, "GET", "/v1/speakers/" + id + "/enrollments", manager, null, null))
                    .getJsonArray("enrollments").size());

            // profiles-verify: verify and identify.
            JsonObject verified = ok(200, send(s, "POST", "/v1/speakers/" + id + "/verify", verifier,
                    "audio/wav", wav));
            assertEquals(1.0, verified.getJsonNumber("score").doubleValue(), 1e-4);
            assertEquals(id, ok(200, send(s, "POST", "/v1/identify", verifier, "audio/wav", wav))
                    .getJsonObject("identified").getString("id"));

            // The roles are separate: each is refused the other's operations, before the body is read.
            problem(403, "forbidden", send(s, "POST", "/v1/speakers/" + id + "/verify", manager, "audio/wav", wav));
            problem(403, "forbidden", send(s, "POST", "/v1/identify", manager, "audio/wav", wav));
            problem(403, "forbidden", send(s, "POST", "/v1/speakers", verifier, "application/json", "{}".getBytes()));
            problem(403, "forbidden", send(s, "POST", "/v1/speakers/" + id + "/enrollments", verifier, "audio/wav",
                    wav));
            problem(403, "forbidden", send(s, "GET", "/v1/speakers", verifier, null, null));
            problem(403, "forbidden", send(s, "DELETE", "/v1/speakers/" + id, verifier, null, null));
            problem(403, "forbidden", send(s, "GET", "/v1/speakers", noRole, null, null));
            problem(403, "forbidden", send(s, "POST", "/v1/identify", noRole, "audio/wav", wav));
            // Both groups: both kinds of operation.
            ok(200, send(s, "GET", "/v1/speakers", both, null, null));
            ok(200, send(s, "POST", "/v1/identify", both, "audio/wav", wav));

            // No token, and every kind of bad one: 401 on a manage and on a verify operation, loopback included.
            for (String bad : new String[] {null, wrongSignature, expired, wrongIssuer, garbage}) {
                HttpResponse<String> list = send(s, "GET", "/v1/speakers", bad, null, null);
                problem(401, "unauthorized", list);
                assertEquals(bad == null, !list.headers().firstValue("WWW-Authenticate").orElse("")
                        .contains("error=\"invalid_token\""), "invalid_token exactly when a token was sent");
                problem(401, "unauthorized", send(s, "POST", "/v1/identify", bad, "audio/wav", wav));
                problem(401, "unauthorized", send(s, "DELETE", "/v1/speakers/" + id, bad, null, null));
            }
            ok(200, send(s, "GET", "/v1/speakers/" + id, manager, null, null)); // none of those deleted it

            // Everything else stays open, whatever Authorization header comes along.
            for (String any : new String[] {null, garbage, expired}) {
                assertEquals(200, send(s, "GET", "/health/ready", any, null, null).statusCode());
                assertEquals(200, send(s, "GET", "/openapi", any, null, null).statusCode());
                ok(200, send(s, "POST", "/v1/embeddings", any, "audio/wav", wav));
            }

            // From another address: the same rules (a token is needed; a good one works).
            try (NetworkNamespace ns = NetworkNamespace.create()) {
                String base = "http://" + ns.hostAddress() + ":" + s.httpPort();
                Curl none = Curl.get(ns, base + "/v1/speakers", null);
                problem(401, "unauthorized", none.status(), none.contentType(), none.body());
                Curl bad = Curl.get(ns, base + "/v1/speakers", wrongSignature);
                problem(401, "unauthorized", bad.status(), bad.contentType(), bad.body());
                Curl listed = Curl.get(ns, base + "/v1/speakers", manager);
                assertEquals(200, listed.status(), listed.body());
                assertEquals(id, json(listed.body()).getJsonArray("speakers").getJsonObject(0).getString("id"));
                Curl wrongRole = Curl.get(ns, base + "/v1/speakers", verifier);
                problem(403, "forbidden", wrongRole.status(), wrongRole.contentType(), wrongRole.body());
            }

            assertEquals(204, send(s, "DELETE", "/v1/speakers/" + id, manager, null, null).statusCode());
            problem(404, "profile_not_found", send(s, "GET", "/v1/speakers/" + id, manager, null, null));

            String logs = s.allLogs();
            assertTrue(logs.contains("Speaker profile endpoints: a JWT is required"), "the mode is logged at start");
            for (int i = 0; i < tokens.size(); i++) {
                assertNoSecret(logs, tokens.get(i), "token #" + i);
                String t = tokens.get(i);
                assertNoSecret(logs, t.substring(t.lastIndexOf('.') + 1), "signature of token #" + i);
            }
            assertFalse(logs.contains("auth-a"), "an external id is in the server's logs");
        }
    }

    @Test
    void withoutJwtConfigurationANonLoopbackRequestIsForbidden() throws Exception {
        String anyToken = good(MANAGE, VERIFY);
        try (LibertyServer s = start(serverEnv(tmp.resolve("cache-open"), false), tmp.resolve("open-server"), null);
             NetworkNamespace ns = NetworkNamespace.create()) {
            String base = "http://" + ns.hostAddress() + ":" + s.httpPort();
            for (String token : new String[] {null, anyToken}) {
                Curl list = Curl.get(ns, base + "/v1/speakers", token);
                problem(403, "forbidden", list.status(), list.contentType(), list.body());
                assertTrue(json(list.body()).getString("detail").contains("loopback"), list.body());
                Curl profile = Curl.get(ns, base + "/v1/speakers/" + UUID.randomUUID(), token);
                problem(403, "forbidden", profile.status(), profile.contentType(), profile.body());
            }
            // The endpoints that are not about profiles answer the namespace as they answer loopback.
            Curl status = Curl.get(ns, base + "/v1/status", null);
            assertEquals(200, status.status(), status.body());
            Curl ready = Curl.get(ns, base + "/health/ready", null);
            assertEquals(200, ready.status(), ready.body());
            // Loopback, without any token, is served.
            ok(200, send(s, "GET", "/v1/speakers", null, null, null));
            ok(201, send(s, "POST", "/v1/speakers", null, "application/json", "{}".getBytes()));
            assertTrue(s.allLogs().contains("they answer only requests from loopback"), "the mode is logged");
            assertNoSecret(s.allLogs(), anyToken, "the token");
        }
    }

    /** Fails naming the log line that holds {@code secret}, shown with the secret replaced by its name. */
    static void assertNoSecret(String logs, String secret, String name) {
        for (String line : logs.split("\n")) {
            if (line.contains(secret)) {
                throw new AssertionError(name + " is in the server's logs: " + line.replace(secret, "<" + name + ">"));
            }
        }
    }

    /** One HTTP GET by curl inside a network namespace: status, Content-Type and body. */
    record Curl(int status, String contentType, String body) {

        static Curl get(NetworkNamespace ns, String url, String token) throws Exception {
            List<String> command = new ArrayList<>(List.of("curl", "-sS", "-i", "--max-time", "30"));
            if (token != null) {
                command.addAll(List.of("-H", "Authorization: Bearer " + token));
            }
            command.add(url);
            NetworkNamespace.Result r = ns.exec(command);
            assertEquals(0, r.exitCode(), "curl in the namespace failed: " + r.output());
            String out = r.output();
            int split = out.indexOf("\r\n\r\n");
            assertTrue(split > 0, out);
            String[] head = out.substring(0, split).split("\r\n");
            int status = Integer.parseInt(head[0].split(" ")[1]);
            String contentType = "";
            for (String h : head) {
                if (h.toLowerCase().startsWith("content-type:")) {
                    contentType = h.substring("content-type:".length()).trim();
                }
            }
            return new Curl(status, contentType, out.substring(split + 4));
        }
    }
}
