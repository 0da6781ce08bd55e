package dev.speakerembedding.it;

import static dev.speakerembedding.it.ProfilesIT.MIN_SPEECH_SECONDS;
import static dev.speakerembedding.it.ProfilesIT.PG_HOST;
import static dev.speakerembedding.it.ProfilesIT.PG_PORT;
import static dev.speakerembedding.it.ProfilesIT.PG_START_HINT;
import static dev.speakerembedding.it.ProfilesIT.SPEAKER_A;
import static dev.speakerembedding.it.ProfilesIT.SPEAKER_B;
import static dev.speakerembedding.it.ProfilesIT.create;
import static dev.speakerembedding.it.ProfilesIT.enrollUntilEnrolled;
import static dev.speakerembedding.it.ProfilesIT.input;
import static dev.speakerembedding.it.ProfilesIT.ok;
import static dev.speakerembedding.it.ProfilesIT.startWithProfiles;
import static dev.speakerembedding.it.ProfilesIT.verify;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.json;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.profiles.store.JdbcProfileStore;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.TcpProxy;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The profile database going away and coming back while a real Liberty server runs on it: the machine's
 * PostgreSQL behind a {@link TcpProxy} the test controls (the PostgreSQL itself is never stopped). Two kinds of
 * outage: a cut (every connection reset, new ones refused) and a blackhole (connections stop answering, new ones are
 * accepted and never answered). Through both: the profile endpoints answer 503 profile_store_unavailable with
 * Retry-After within a stated bound, never 500 and never a hang; the embedding endpoints answer 200; readiness says
 * the store is unavailable and stays UP; once the database is back the service reconnects by itself, sees what
 * another replica changed meanwhile, and its index poller still follows the change log. Fails, never skips, when
 * PostgreSQL does not answer.
 */
class ProfileStoreOutageIT {

    private static final String PASSWORD = "outage-password-never-logged";
    private static final String EXTERNAL_ID = "outage-person-a";
    /**
     * A cut is seen at once (a reset, then a refused connect), and so is a database the poller found gone: what
     * remains is the request's own work (an embedding for enroll, verify and identify) on 2 cores other builds share.
     */
    private static final Duration CUT_REQUEST_BOUND = Duration.ofSeconds(5);
    /**
     * A request caught by a blackhole waits out the dataSource's timeouts (server.xml): validationTimeout (5 s) on
     * the pooled connection, then socketTimeout (10 s) twice on a new one (with and without TLS), as README "Speaker
     * profiles" states; plus the request's own work and a margin for a machine shared with other builds.
     */
    private static final Duration BLACKHOLE_REQUEST_BOUND = Duration.ofSeconds(5 + 2 * 10 + 5);
    /** Readiness follows the index poller: one PROFILE_SYNC_INTERVAL_MS plus one failed poll. */
    private static final Duration CUT_DETECTED_BOUND = Duration.ofSeconds(5);
    private static final Duration BLACKHOLE_DETECTED_BOUND = Duration.ofSeconds(1 + 5 + 2 * 10 + 5);
    /** Back: the next request's new connection works; the poller sees it within one interval. */
    private static final Duration RECONNECT_BOUND = Duration.ofSeconds(10);
    /** A change by another replica is applied within PROFILE_SYNC_INTERVAL_MS plus one poll (ReplicaSyncIT). */
    private static final Duration SYNC_BOUND = Duration.ofMillis(
            Long.parseLong(ServiceConfig.DEFAULT_PROFILE_SYNC_INTERVAL_MS) + 2000);
    /** The client's own limit: a request still running after this has hung, and the test says so. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(90);

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

    /** A request with a timeout of the client's own, and how long it took. */
    private record Timed(HttpResponse<String> response, long elapsedMs) {
    }

    private static Timed timed(LibertyServer s, String method, String path, String contentType, byte[] body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri(path)).timeout(CLIENT_TIMEOUT);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        long started = System.nanoTime();
        try {
            HttpResponse<String> r = s.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Timed(r, (System.nanoTime() - started) / 1_000_000);
        } catch (HttpTimeoutException e) {
            return fail(method + " " + path + " hung: no answer after " + CLIENT_TIMEOUT.toSeconds() + " s");
        }
    }

    /** Every kind of profile request answers 503 profile_store_unavailable with Retry-After, within {@code bound}. */
    private static List<String> profileRequestsAnswer503(LibertyServer s, String a, Duration bound) throws Exception {
        List<String> figures = new ArrayList<>();
        String[][] requests = {
                {"GET", "/v1/speakers/" + a, null},
                {"GET", "/v1/speakers?limit=10", null},
                {"POST", "/v1/speakers", "application/json"},
                {"POST", "/v1/speakers/" + a + "/enrollments", "audio/wav"},
                {"POST", "/v1/speakers/" + a + "/verify", "audio/wav"},
                {"POST", "/v1/identify", "audio/wav"},
                {"GET", "/v1/speakers/" + a + "/enrollments", null},
                {"DELETE", "/v1/speakers/" + a + "/enrollments", null},
        };
        for (String[] r : requests) {
            byte[] body = r[2] == null ? null : r[2].equals("application/json") ? "{}".getBytes() : input(SPEAKER_A);
            Timed t = timed(s, r[0], r[1], r[2], body);
            String what = r[0] + " " + r[1].replace(a, "{id}");
            assertEquals(503, t.response().statusCode(), what + ": " + t.response().body());
            assertEquals("application/problem+json", t.response().headers().firstValue("Content-Type").orElse(""),
                    what);
            assertEquals("profile_store_unavailable", json(t.response().body()).getString("code"), what);
            int retryAfter = Integer.parseInt(t.response().headers().firstValue("Retry-After").orElseThrow(
                    () -> new AssertionError(what + ": no Retry-After")));
            assertTrue(retryAfter >= 1 && retryAfter <= 60, what + ": Retry-After " + retryAfter);
            assertTrue(t.elapsedMs() <= bound.toMillis(), what + " took " + t.elapsedMs() + " ms, bound "
                    + bound.toMillis() + " ms");
            figures.add(what + " " + t.elapsedMs() + " ms");
        }
        return figures;
    }

    private static void embeddingsAnswer200(LibertyServer s, Duration bound) throws Exception {
        Timed t = timed(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A));
        assertEquals(200, t.response().statusCode(), t.response().body());
        assertTrue(t.elapsedMs() <= bound.toMillis(), "embedding took " + t.elapsedMs() + " ms");
    }

    /** Polls readiness until {@code condition} holds on its data; the ms it took. Readiness stays UP throughout. */
    private static long awaitReadiness(LibertyServer s, Predicate<JsonObject> condition, Duration bound,
                                       String what) throws Exception {
        long started = System.nanoTime();
        JsonObject last = null;
        while (System.nanoTime() - started < bound.toNanos()) {
            HttpResponse<String> r = s.get("/health/ready");
            assertEquals(200, r.statusCode(), "the profile store does not gate readiness: " + r.body());
            last = ServerTestSupport.checkData(r.body());
            if (condition.test(last)) {
                return (System.nanoTime() - started) / 1_000_000;
            }
            Thread.sleep(100);
        }
        return fail(what + " not seen within " + bound.toMillis() + " ms; readiness data: " + last);
    }

    private static boolean storeUnavailable(JsonObject readiness) {
        return "unavailable".equals(readiness.getString("profile_store", ""))
                && readiness.getString("profile_store_error", "").contains("profile database");
    }

    private static boolean storeAvailable(JsonObject readiness) {
        return "available".equals(readiness.getString("profile_store", ""));
    }

    /** Waits until a profile request succeeds again; the ms from {@code sinceNanos}. */
    private static long awaitReconnected(LibertyServer s, String a, long sinceNanos) throws Exception {
        while (true) {
            Timed t = timed(s, "GET", "/v1/speakers/" + a, null, null);
            long elapsed = (System.nanoTime() - sinceNanos) / 1_000_000;
            if (t.response().statusCode() == 200) {
                return elapsed;
            }
            assertEquals(503, t.response().statusCode(), "while reconnecting: " + t.response().body());
            if (elapsed > RECONNECT_BOUND.toMillis()) {
                return fail("not reconnected " + elapsed + " ms after the database came back: "
                        + t.response().body());
            }
            Thread.sleep(100);
        }
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

    /** Identifies {@code file} until the answer no longer names {@code id}; the ms it took. */
    private static long awaitGoneFromIdentification(LibertyServer s, String file, String id) throws Exception {
        long started = System.nanoTime();
        while (true) {
            JsonObject answer = ok(200, timed(s, "POST", "/v1/identify?top=5", "audio/wav", input(file)).response());
            long elapsed = (System.nanoTime() - started) / 1_000_000;
            if (!names(answer, id)) {
                return elapsed;
            }
            if (elapsed > SYNC_BOUND.toMillis() + 3000) {
                return fail("a profile deleted by another replica is still identified after " + elapsed + " ms");
            }
            Thread.sleep(50);
        }
    }

    private static PGSimpleDataSource direct(String schema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {PG_HOST});
        ds.setPortNumbers(new int[] {PG_PORT});
        ds.setDatabaseName("test");
        ds.setUser("postgres");
        if (schema != null) {
            ds.setCurrentSchema(schema);
        }
        return ds;
    }

    private static void onDirect(String sql) {
        try (Connection c = direct(null).getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            fail("PostgreSQL is not reachable at " + PG_HOST + ":" + PG_PORT + " (database test, user postgres): "
                    + e.getMessage() + "; " + PG_START_HINT, e);
        }
    }

    @Test
    void postgresqlCutOffAndBlackholedMidRunThenBack() throws Exception {
        String schema = "outage_it_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        onDirect("CREATE SCHEMA " + schema);
        List<String> report = new ArrayList<>();
        try (TcpProxy proxy = TcpProxy.start(PG_HOST, PG_PORT)) {
            Map<String, String> e = env(hub, tmp.resolve("cache"));
            e.put("ENROLLMENT_MIN_SPEECH_SECONDS", Double.toString(MIN_SPEECH_SECONDS));
            e.put("PROFILE_DB_RETRY_SECONDS", "1");
            e.put("PROFILE_DB_URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/test?currentSchema=" + schema);
            e.put("PROFILE_DB_USER", "postgres");
            e.put("PROFILE_DB_PASSWORD", PASSWORD);
            // Another replica on the same database, reaching it directly: the product's own store.
            JdbcProfileStore otherReplica = new JdbcProfileStore(direct(schema));
            try (LibertyServer s = startWithProfiles(e, tmp.resolve("server"))) {
                String a = create(s, "{\"external_id\":\"" + EXTERNAL_ID + "\"}");
                enrollUntilEnrolled(s, a, SPEAKER_A);
                String b = create(s, "{}");
                enrollUntilEnrolled(s, b, SPEAKER_B);
                assertEquals(1.0, verify(s, a, SPEAKER_A), 1e-4);
                assertTrue(proxy.liveConnections() > 0, "the server's connections go through the proxy");
                ProfilesIT.assertProfileCounts(s, 2, 0, 0);
                JsonObject embedding = ok(200, timed(s, "POST", "/v1/embeddings", "audio/wav", input(SPEAKER_A))
                        .response()).getJsonArray("data").getJsonObject(0);

                // 1. Cut: connections reset, new ones refused.
                proxy.cut();
                long cutAt = System.nanoTime();
                report.add("cut: " + profileRequestsAnswer503(s, a, CUT_REQUEST_BOUND));
                embeddingsAnswer200(s, Duration.ofSeconds(30));
                long cutSeenMs = awaitReadiness(s, ProfileStoreOutageIT::storeUnavailable,
                        CUT_DETECTED_BOUND.plusMillis((System.nanoTime() - cutAt) / 1_000_000), "cut in readiness");
                report.add("cut: readiness unavailable " + cutSeenMs + " ms after the 503 checks");
                assertTrue(otherReplica.deleteProfile(ProfileId.parse(b)), "another replica deletes B meanwhile");
                // The scrape still answers, with the last count: the database is not asked at a scrape.
                ProfilesIT.assertProfileCounts(s, 2, 0, 0);
                Thread.sleep(2000); // several failed polls: the poller must survive them
                proxy.resume();
                long backAt = System.nanoTime();
                long reconnectedMs = awaitReconnected(s, a, backAt);
                report.add("cut: reconnected " + reconnectedMs + " ms after the database came back");
                assertEquals(1.0, verify(s, a, SPEAKER_A), 1e-4, "A, enrolled before the cut, verifies");
                ProfilesIT.problem(404, "profile_not_found", ProfilesIT.send(s, "GET", "/v1/speakers/" + b, null,
                        null));
                report.add("cut: B (deleted by another replica while cut off) gone from identification "
                        + awaitGoneFromIdentification(s, SPEAKER_B, b) + " ms after reconnecting");
                ProfilesIT.assertProfileCounts(s, 1, 0, 0);
                awaitReadiness(s, ProfileStoreOutageIT::storeAvailable, RECONNECT_BOUND, "available again");

                // 2. Blackhole: nothing answers, nothing is reset.
                proxy.blackhole();
                long blackholedAt = System.nanoTime();
                Timed caught = timed(s, "GET", "/v1/speakers/" + a, null, null);
                assertEquals(503, caught.response().statusCode(), caught.response().body());
                assertEquals("profile_store_unavailable", json(caught.response().body()).getString("code"));
                assertTrue(caught.elapsedMs() <= BLACKHOLE_REQUEST_BOUND.toMillis(), "a request caught by the "
                        + "blackhole took " + caught.elapsedMs() + " ms, bound " + BLACKHOLE_REQUEST_BOUND.toMillis());
                report.add("blackhole: a request caught by it answered 503 after " + caught.elapsedMs() + " ms");
                embeddingsAnswer200(s, Duration.ofSeconds(30));
                awaitReadiness(s, ProfileStoreOutageIT::storeUnavailable,
                        BLACKHOLE_DETECTED_BOUND.minusMillis((System.nanoTime() - blackholedAt) / 1_000_000),
                        "blackhole in readiness");
                report.add("blackhole: readiness unavailable " + (System.nanoTime() - blackholedAt) / 1_000_000
                        + " ms after it began");
                // Seen gone: every profile request answers at once instead of waiting out the timeouts again.
                report.add("blackhole, seen: " + profileRequestsAnswer503(s, a, CUT_REQUEST_BOUND));
                long scrapeStarted = System.nanoTime();
                ProfilesIT.assertProfileCounts(s, 1, 0, 0);
                long scrapeMs = (System.nanoTime() - scrapeStarted) / 1_000_000;
                assertTrue(scrapeMs <= CUT_REQUEST_BOUND.toMillis(), "a scrape in the blackhole took " + scrapeMs
                        + " ms");
                report.add("blackhole: the scrape kept the last counts, " + scrapeMs + " ms");
                embeddingsAnswer200(s, Duration.ofSeconds(30));
                proxy.resume();
                backAt = System.nanoTime();
                report.add("blackhole: reconnected " + awaitReconnected(s, a, backAt) + " ms after the route came "
                        + "back");
                assertEquals(1.0, verify(s, a, SPEAKER_A), 1e-4);
                awaitReadiness(s, ProfileStoreOutageIT::storeAvailable, RECONNECT_BOUND, "available again");

                // 3. The poller outlived both outages: another replica's delete still reaches this index.
                assertTrue(otherReplica.deleteProfile(ProfileId.parse(a)));
                report.add("after both: A deleted by another replica, gone from identification after "
                        + awaitGoneFromIdentification(s, SPEAKER_A, a) + " ms");

                String logs = s.allLogs();
                assertFalse(logs.contains(PASSWORD), "the password is never logged");
                assertFalse(logs.contains(EXTERNAL_ID), "no external id in the logs");
                JsonArray vector = embedding.getJsonArray("embedding");
                for (int i = 0; i < 4; i++) {
                    String component = vector.getJsonNumber(i).toString();
                    if (component.length() >= 6) {
                        assertFalse(logs.contains(component), "no vector component in the logs: " + component);
                    }
                }
                assertTrue(logs.contains("profile"), "the outage is logged");
            }
        } finally {
            report.forEach(line -> System.out.println("ProfileStoreOutageIT: " + line));
            onDirect("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
