package dev.speakerembedding.it;

import static dev.speakerembedding.it.ProfilesIT.MIN_SPEECH_SECONDS;
import static dev.speakerembedding.it.ProfilesIT.PG_HOST;
import static dev.speakerembedding.it.ProfilesIT.PG_PORT;
import static dev.speakerembedding.it.ProfilesIT.PG_START_HINT;
import static dev.speakerembedding.it.ProfilesIT.SPEAKER_A;
import static dev.speakerembedding.it.ProfilesIT.create;
import static dev.speakerembedding.it.ProfilesIT.input;
import static dev.speakerembedding.it.ProfilesIT.ok;
import static dev.speakerembedding.it.ProfilesIT.send;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Liberty servers on one PostgreSQL schema, as two replicas behind a load balancer: a profile enrolled on one
 * is identified on the other within the staleness bound the README states (PROFILE_SYNC_INTERVAL_MS, at its
 * default, plus one poll), and a profile deleted on one is gone from the other's identification within it. Fails,
 * never skips, when PostgreSQL does not answer.
 */
class ReplicaSyncIT {

    private static final long SYNC_INTERVAL_MS = Long.parseLong(ServiceConfig.DEFAULT_PROFILE_SYNC_INTERVAL_MS);
    /** One poll: a query of the change log and a reload of one profile, a few milliseconds when idle. */
    private static final long POLL_MS = 250;
    private static final long BOUND_MS = SYNC_INTERVAL_MS + POLL_MS;
    /**
     * Beyond the bound: the identify request that observes the change (an embedding of a few seconds of audio on
     * a machine whose two cores other builds share) ends after the change is visible.
     */
    private static final long MARGIN_MS = 2000;

    private static HubStandIn hub;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startHub() throws Exception {
        hub = HubStandIn.start();
        serveSmallModel(hub, false);
    }

    @AfterAll
    static void stopHub() throws Exception {
        if (hub != null) {
            hub.close();
        }
    }

    private static Connection connect(String url) {
        try {
            return DriverManager.getConnection(url, "postgres", "");
        } catch (SQLException ex) {
            return fail("PostgreSQL is not reachable at " + PG_HOST + ":" + PG_PORT + " (database test, user "
                    + "postgres): " + ex.getMessage() + "; " + PG_START_HINT, ex);
        }
    }

    private static Map<String, String> replicaEnv(String url, Path cache) {
        Map<String, String> e = env(hub, cache);
        e.put("ENROLLMENT_MIN_SPEECH_SECONDS", Double.toString(MIN_SPEECH_SECONDS));
        e.put("PROFILE_DB_RETRY_SECONDS", "1");
        e.put("PROFILE_DB_URL", url);
        e.put("PROFILE_DB_USER", "postgres");
        e.put("PROFILE_DB_PASSWORD", "not-needed-with-trust-auth");
        return e;
    }

    /** Ready, with the profile store reachable. */
    private static LibertyServer awaitProfiles(LibertyServer server) throws Exception {
        server.awaitReady(ServerTestSupport.READY_TIMEOUT);
        return server.awaitResponse("/v1/speakers?limit=1", r -> r.statusCode() == 200, Duration.ofSeconds(60));
    }

    private static JsonObject identify(LibertyServer s) throws Exception {
        return ok(200, send(s, "POST", "/v1/identify?top=5", "audio/wav", input(SPEAKER_A)));
    }

    private static boolean names(JsonObject identification, String id) {
        JsonArray candidates = identification.getJsonArray("candidates");
        for (int i = 0; i < candidates.size(); i++) {
            if (candidates.getJsonObject(i).getString("id").equals(id)) {
                return true;
            }
        }
        return false;
    }

    private static boolean identifies(JsonObject identification, String id) {
        // "identified" is left out of the answer when no profile passes the threshold.
        return identification.get("identified") instanceof JsonObject identified
                && identified.getString("id").equals(id);
    }

    /** Identifies on {@code s} until {@code seen} holds; the ms from {@code sinceNanos} to the answer that held. */
    private static long awaitOn(LibertyServer s, long sinceNanos, String what,
                                Predicate<JsonObject> seen) throws Exception {
        long deadline = sinceNanos + Duration.ofMillis(BOUND_MS + MARGIN_MS).toNanos();
        while (true) {
            JsonObject answer = identify(s);
            long elapsedMs = (System.nanoTime() - sinceNanos) / 1_000_000;
            if (seen.test(answer)) {
                return elapsedMs;
            }
            if (System.nanoTime() > deadline) {
                return fail(what + ": not seen on the other replica after " + elapsedMs + " ms (bound " + BOUND_MS
                        + " ms + margin " + MARGIN_MS + " ms)");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aProfileEnrolledOnOneReplicaIsIdentifiedOnTheOtherAndItsDeletionFollows() throws Exception {
        String schema = "replicas_it_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String admin = "jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/test";
        try (Connection c = connect(admin); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        String url = admin + "?currentSchema=" + schema;
        try (LibertyServer a = LibertyServer.start(replicaEnv(url, tmp.resolve("cache-a")), tmp.resolve("a"));
             LibertyServer b = LibertyServer.start(replicaEnv(url, tmp.resolve("cache-b")), tmp.resolve("b"))) {
            awaitProfiles(a);
            awaitProfiles(b);
            assertEquals(0, identify(b).getInt("profiles_scored"), "B's index is loaded, and empty");

            String id = create(a, "{}");
            JsonObject first = ok(201, send(a, "POST", "/v1/speakers/" + id + "/enrollments", "audio/wav",
                    input(SPEAKER_A)));
            assertEquals("enrolling", first.getJsonObject("speaker").getString("state"));
            Thread.sleep(BOUND_MS + MARGIN_MS);
            assertFalse(names(identify(b), id), "a profile still enrolling is not identified on B either");

            JsonObject second = ok(201, send(a, "POST", "/v1/speakers/" + id + "/enrollments", "audio/wav",
                    input(SPEAKER_A)));
            long enrolledAt = System.nanoTime();
            assertEquals("enrolled", second.getJsonObject("speaker").getString("state"));
            assertTrue(identifies(identify(a), id), "A's own write is in A's index at once");
            long enrolledSeenMs = awaitOn(b, enrolledAt, "enrolled on A",
                    answer -> identifies(answer, id));
            JsonObject onB = identify(b);
            assertEquals(1, onB.getInt("profiles_scored"));
            double score = onB.getJsonObject("identified").getJsonNumber("score").doubleValue();
            assertEquals(1.0, score, 1e-4, "B scores the vector A stored: the enrolled file against itself");

            assertEquals(204, send(a, "DELETE", "/v1/speakers/" + id, null, null).statusCode());
            long deletedAt = System.nanoTime();
            long deletedSeenMs = awaitOn(b, deletedAt, "deleted on A",
                    answer -> !names(answer, id) && answer.getInt("profiles_scored") == 0);

            System.out.printf("ReplicaSyncIT: enrolled on A, identified on B after %d ms; deleted on A, gone from B "
                    + "after %d ms (bound %d ms = PROFILE_SYNC_INTERVAL_MS %d + one poll; each figure includes the "
                    + "identify request that saw it)%n", enrolledSeenMs, deletedSeenMs, BOUND_MS, SYNC_INTERVAL_MS);
            assertTrue(enrolledSeenMs <= BOUND_MS + MARGIN_MS, "enrolled seen after " + enrolledSeenMs + " ms");
            assertTrue(deletedSeenMs <= BOUND_MS + MARGIN_MS, "deletion seen after " + deletedSeenMs + " ms");
            assertFalse(a.allLogs().contains("not-needed-with-trust-auth")
                    || b.allLogs().contains("not-needed-with-trust-auth"), "the password is never logged");
        } finally {
            try (Connection c = connect(admin); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
