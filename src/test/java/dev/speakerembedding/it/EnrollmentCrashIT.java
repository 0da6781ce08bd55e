package dev.speakerembedding.it;

import static dev.speakerembedding.it.ProfilesIT.MIN_SPEECH_SECONDS;
import static dev.speakerembedding.it.ProfilesIT.PG_HOST;
import static dev.speakerembedding.it.ProfilesIT.PG_PORT;
import static dev.speakerembedding.it.ProfilesIT.PG_START_HINT;
import static dev.speakerembedding.it.ProfilesIT.SPEAKER_A;
import static dev.speakerembedding.it.ProfilesIT.SPEAKER_B;
import static dev.speakerembedding.it.ProfilesIT.create;
import static dev.speakerembedding.it.ProfilesIT.input;
import static dev.speakerembedding.it.ProfilesIT.multipart;
import static dev.speakerembedding.it.ProfilesIT.ok;
import static dev.speakerembedding.it.ProfilesIT.send;
import static dev.speakerembedding.it.ProfilesIT.startWithProfiles;
import static dev.speakerembedding.it.ServerTestSupport.env;
import static dev.speakerembedding.it.ServerTestSupport.serveSmallModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.testing.LibertyServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Liberty server on the embedded H2 database (the default), and one on the machine's PostgreSQL, killed with
 * SIGKILL while it handles a multipart batch enrollment, at delays from before the batch is written to after its
 * answer, closing in on the write: after each kill the database holds the whole batch or none of it. Checked
 * straight in the database (the H2 file opened as it is, by H2 alone: no repair tool) and through a server restarted
 * on the same DATA_DIR or schema: enrollment rows, the profile's totals and state, the change log (one change per
 * write, seqs without gaps, matching the rows), the profile row touched only with the batch, and the index loaded
 * at start (identify scores exactly the profiles whose batches are stored). Prints how many rounds ended each way.
 * No hook in the product: the kills are timed from outside, as a node losing power would be.
 */
class EnrollmentCrashIT {

    /** Files per batch: enough embedding work that the request lasts long enough to be killed at chosen points. */
    private static final int BATCH = 12;
    /**
     * Rounds of kills. The first lands 20 ms after the body is sent (before the write: embedding the files takes
     * most of the request), the second at four times a whole request's length (after the answer); each of the
     * others halves the interval between the longest delay that found nothing stored and the shortest that found
     * the batch stored (or the request answered), so the kills close in on the write itself.
     */
    private static final int ROUNDS = 10;
    private static final String BOUNDARY = "crash-batch-boundary";

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

    private static byte[] batchBody() throws Exception {
        String[] files = new String[BATCH];
        for (int i = 0; i < BATCH; i++) {
            files[i] = i % 2 == 0 ? SPEAKER_A : SPEAKER_B;
        }
        return multipart(BOUNDARY, files);
    }

    /** A batch request on a raw socket: when its body was flushed, and when (and what) the answer began with. */
    private static final class RawRequest {
        final long sentNanos;
        final AtomicLong firstByteNanos = new AtomicLong();
        final ByteArrayOutputStream answer = new ByteArrayOutputStream();
        final Socket socket;
        final Thread reader;

        RawRequest(LibertyServer s, String id, byte[] body) throws IOException {
            socket = new Socket("127.0.0.1", s.httpPort());
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/speakers/" + id + "/enrollments HTTP/1.1\r\nHost: 127.0.0.1:" + s.httpPort()
                    + "\r\nContent-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: "
                    + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            sentNanos = System.nanoTime();
            reader = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try (InputStream in = socket.getInputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        firstByteNanos.compareAndSet(0, System.nanoTime());
                        synchronized (answer) {
                            answer.write(buffer, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the server was killed: the answer is what arrived before
                }
            }, "crash-it-reader");
            reader.start();
        }

        /** The answer's status, or 0 when no status line arrived. */
        int status() {
            String text;
            synchronized (answer) {
                text = answer.toString(StandardCharsets.ISO_8859_1);
            }
            return text.startsWith("HTTP/1.1 ") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : 0;
        }

        void finish() throws Exception {
            reader.join(120_000);
            socket.close();
        }
    }

    private static Map<String, String> serverEnv(Path dataDir) {
        Map<String, String> e = env(hub, tmp.resolve("cache"));
        e.put("ENROLLMENT_MIN_SPEECH_SECONDS", Double.toString(MIN_SPEECH_SECONDS));
        e.put("PROFILE_DB_RETRY_SECONDS", "1");
        e.put("DATA_DIR", dataDir.toString());
        return e;
    }

    private static int count(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            if (id != null) {
                st.setObject(1, UUID.fromString(id));
            }
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Straight in the database file, with no server: the batch is there whole or not at all, with its one change;
     * the profile's row was touched exactly when the batch was stored; the change log has no gap. Returns the
     * enrollments found.
     */
    private static int checkDatabase(Database database, String id) throws SQLException {
        try (Connection c = database.open()) {
            int enrollments = count(c, "SELECT COUNT(*) FROM enrollments WHERE profile_id = ?", id);
            assertTrue(enrollments == 0 || enrollments == BATCH, "enrollments " + enrollments + ": the whole batch of "
                    + BATCH + " or none");
            assertEquals(enrollments == 0 ? 0 : 1, count(c, "SELECT COUNT(*) FROM profile_changes WHERE "
                    + "profile_id = ? AND kind = 'ENROLLED'", id), "one ENROLLED change with the batch, none without");
            assertEquals(1, count(c, "SELECT COUNT(*) FROM profile_changes WHERE profile_id = ? AND kind = 'CREATED'",
                    id));
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT last_seq, pruned_through_seq, (SELECT COUNT(*) FROM "
                         + "profile_changes), (SELECT MAX(seq) FROM profile_changes) FROM profile_change_clock")) {
                rs.next();
                assertEquals(0, rs.getLong(2), "nothing pruned in this test");
                assertEquals(rs.getLong(1), rs.getLong(3), "one change per seq, no gap, no change lost");
                assertEquals(rs.getLong(1), rs.getLong(4), "the clock is at the last change");
            }
            try (PreparedStatement st = c.prepareStatement("SELECT p.created_at, p.updated_at, "
                    + "(SELECT MIN(e.created_at) FROM enrollments e WHERE e.profile_id = p.id), "
                    + "(SELECT MAX(e.created_at) FROM enrollments e WHERE e.profile_id = p.id) FROM profiles p "
                    + "WHERE p.id = ?")) {
                st.setObject(1, UUID.fromString(id));
                try (ResultSet rs = st.executeQuery()) {
                    assertTrue(rs.next(), "the profile created before the kill is there");
                    OffsetDateTime created = rs.getObject(1, OffsetDateTime.class);
                    OffsetDateTime updated = rs.getObject(2, OffsetDateTime.class);
                    if (enrollments == 0) {
                        assertEquals(created, updated, "an enrollment that was not stored did not touch the profile");
                    } else {
                        assertEquals(updated, rs.getObject(3, OffsetDateTime.class), "stored with the batch");
                        assertEquals(updated, rs.getObject(4, OffsetDateTime.class), "one write, one timestamp");
                    }
                }
            }
            return enrollments;
        }
    }

    /** Through the restarted server: the profile's view and enrollments agree, and so does its state. */
    private static void checkProfile(LibertyServer s, String id, int expected) throws Exception {
        JsonArray enrollments = ok(200, send(s, "GET", "/v1/speakers/" + id + "/enrollments", null, null))
                .getJsonArray("enrollments");
        assertEquals(expected, enrollments.size());
        double speech = 0;
        for (int i = 0; i < enrollments.size(); i++) {
            speech += enrollments.getJsonObject(i).getJsonNumber("speech_seconds").doubleValue();
        }
        JsonObject profile = ok(200, send(s, "GET", "/v1/speakers/" + id, null, null));
        assertEquals(expected, profile.getInt("enrollments"));
        assertEquals(speech, profile.getJsonNumber("speech_seconds").doubleValue(), 1e-6);
        assertEquals(speech >= MIN_SPEECH_SECONDS ? "enrolled" : "enrolling", profile.getString("state"));
        assertEquals(expected == BATCH, speech >= MIN_SPEECH_SECONDS, "a whole batch is more than enough speech");
    }

    /** The index loaded at start scores exactly the profiles whose batches are stored. */
    private static void checkIndex(LibertyServer s, Set<String> enrolled) throws Exception {
        JsonObject id = ok(200, send(s, "POST", "/v1/identify?top=100", "audio/wav", input(SPEAKER_A)));
        assertEquals(enrolled.size(), id.getInt("profiles_scored"), id.toString());
        Set<String> named = new HashSet<>();
        JsonArray candidates = id.getJsonArray("candidates");
        for (int i = 0; i < candidates.size(); i++) {
            named.add(candidates.getJsonObject(i).getString("id"));
        }
        assertEquals(enrolled, named);
    }

    /** The database the killed server wrote to, opened by the test itself. */
    @FunctionalInterface
    private interface Database {
        Connection open() throws SQLException;
    }

    @Test
    void aServerKilledDuringABatchEnrollmentIntoEmbeddedH2StoresTheWholeBatchOrNone() throws Exception {
        Path dataDir = tmp.resolve("data");
        // IFEXISTS: the file the server wrote, opened as it is, by H2 alone (no repair or recovery tool).
        killRounds("h2", serverEnv(dataDir), tmp.resolve("h2-server"), () -> DriverManager.getConnection(
                "jdbc:h2:file:" + dataDir.resolve("profiles") + ";IFEXISTS=TRUE", "sa", ""));
    }

    @Test
    void aServerKilledDuringABatchEnrollmentIntoPostgresqlStoresTheWholeBatchOrNone() throws Exception {
        String schema = "crash_it_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String admin = "jdbc:postgresql://" + PG_HOST + ":" + PG_PORT + "/test";
        Database adminDb = () -> DriverManager.getConnection(admin, "postgres", "");
        try (Connection c = adminDb.open(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            fail("PostgreSQL is not reachable at " + PG_HOST + ":" + PG_PORT + " (database test, user postgres): "
                    + e.getMessage() + "; " + PG_START_HINT, e);
        }
        try {
            Map<String, String> env = serverEnv(tmp.resolve("pg-data"));
            env.put("PROFILE_DB_URL", admin + "?currentSchema=" + schema);
            env.put("PROFILE_DB_USER", "postgres");
            env.put("PROFILE_DB_PASSWORD", "not-needed-with-trust-auth");
            killRounds("postgresql", env, tmp.resolve("pg-server"), () -> DriverManager.getConnection(
                    admin + "?currentSchema=" + schema, "postgres", ""));
        } finally {
            try (Connection c = adminDb.open(); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private void killRounds(String kind, Map<String, String> env, Path out, Database database) throws Exception {
        byte[] body = batchBody();
        Set<String> enrolled = new HashSet<>();
        List<String> rounds = new ArrayList<>();
        int none = 0;
        int whole = 0;
        int wholeWithoutAnswer = 0;
        LibertyServer s = startWithProfiles(env, out);
        try {
            // The length of a batch request on a server that just started, as each round's is.
            String calibration = create(s, "{}");
            RawRequest first = new RawRequest(s, calibration, body);
            first.finish();
            assertEquals(201, first.status(), "the batch is accepted whole when nothing fails");
            long requestMs = (first.firstByteNanos.get() - first.sentNanos) / 1_000_000;
            enrolled.add(calibration);
            rounds.add("calibration: " + BATCH + " files answered " + requestMs + " ms after the body was sent");

            long noneUpToMs = 0;
            long wholeFromMs = 4 * requestMs;
            for (int round = 0; round < ROUNDS; round++) {
                long delayMs = round == 0 ? 20 : round == 1 ? wholeFromMs : (noneUpToMs + wholeFromMs) / 2;
                String id = create(s, "{}");
                RawRequest request = new RawRequest(s, id, body);
                Thread.sleep(Math.max(0, delayMs - (System.nanoTime() - request.sentNanos) / 1_000_000));
                long killedAfterMs = (System.nanoTime() - request.sentNanos) / 1_000_000;
                s.kill();
                request.finish();
                int status = request.status();
                long answeredAfterMs = request.firstByteNanos.get() == 0 ? -1
                        : (request.firstByteNanos.get() - request.sentNanos) / 1_000_000;
                assertFalse(s.isAlive(), "SIGKILL ends the server");

                int stored = checkDatabase(database, id);
                if (status == 201) {
                    assertEquals(BATCH, stored, "an answered enrollment was stored whole");
                }
                if (stored == 0) {
                    none++;
                    noneUpToMs = Math.max(noneUpToMs, killedAfterMs);
                } else {
                    whole++;
                    enrolled.add(id);
                    if (status != 201) {
                        wholeWithoutAnswer++;
                    }
                    wholeFromMs = Math.min(wholeFromMs, answeredAfterMs > 0 ? answeredAfterMs : killedAfterMs);
                }
                s = startWithProfiles(env, out);
                checkProfile(s, id, stored);
                checkIndex(s, enrolled);
                rounds.add(String.format("killed %d ms after the body was sent: %s, answer %s", killedAfterMs,
                        stored == 0 ? "none" : "whole",
                        status == 0 ? "none" : status + " after " + answeredAfterMs + " ms"));
            }
            assertFalse(s.allLogs().contains("Exception in thread"), "no thread died on restart");
        } finally {
            s.close();
            rounds.forEach(r -> System.out.println("EnrollmentCrashIT " + kind + ": " + r));
            System.out.printf("EnrollmentCrashIT %s: %d rounds, %d none, %d whole (%d of them stored but not "
                    + "answered)%n", kind, ROUNDS, none, whole, wholeWithoutAnswer);
        }
        assertEquals(ROUNDS, none + whole);
        if (none == 0 || whole == 0) {
            fail("every kill landed on one side of the write (" + none + " none, " + whole + " whole): the rounds "
                    + "are meant to land on both");
        }
    }
}
