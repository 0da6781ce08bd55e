package dev.speakerembedding.profiles.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The store's contract on PostgreSQL: the machine's server on 127.0.0.1:5432 (trust auth, database {@code test}),
 * in a schema of this test class's own, dropped at the end. Never skipped: without a server it fails and says how
 * to start one.
 */
class PostgresProfileStoreTest extends ProfileStoreContract {

    static final String HOST = System.getProperty("profiles.test.postgres.host", "127.0.0.1");
    static final int PORT = Integer.getInteger("profiles.test.postgres.port", 5432);
    static final String DATABASE = System.getProperty("profiles.test.postgres.database", "test");
    static final String USER = System.getProperty("profiles.test.postgres.user", "postgres");
    static final String START_HINT = "Start the machine's PostgreSQL with: "
            + "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

    private final String schema = "store_test_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));

    @Override
    protected DataSource openDatabase() throws SQLException {
        PGSimpleDataSource admin = dataSource(PORT, null);
        try (Connection c = admin.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            if (SqlErrors.isUnavailable(e)) {
                fail("PostgreSQL is not reachable at " + HOST + ":" + PORT + " (database " + DATABASE + ", user "
                        + USER + "): " + e.getMessage().replaceAll("\\.+$", "") + ". " + START_HINT, e);
            }
            throw e;
        }
        return dataSource(PORT, schema);
    }

    @Override
    protected void closeDatabase() throws SQLException {
        try (Connection c = dataSource(PORT, null).getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    @Override
    protected DataSource unreachableDataSource() throws Exception {
        return dataSource(ClosedPort.find(), schema);
    }

    @Override
    protected List<String> tablesOfThisSchema(DatabaseMetaData metaData) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = metaData.getTables(null, schema, "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add(schema + "." + rs.getString("TABLE_NAME"));
            }
        }
        return tables;
    }

    private PGSimpleDataSource dataSource(int port, String currentSchema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {HOST});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(DATABASE);
        ds.setUser(USER);
        ds.setConnectTimeout(5);
        ds.setApplicationName(schema);
        if (currentSchema != null) {
            ds.setCurrentSchema(currentSchema);
        }
        return ds;
    }

    @Test
    void aConnectionDroppedWhileLoadingIsUnavailable() throws Exception {
        for (int i = 0; i < 3; i++) {
            ProfileId id = store.createProfile(NewProfile.EMPTY).id();
            store.addEnrollments(id, List.of(StoreFixtures.enrollment(i)));
        }
        AtomicInteger handed = new AtomicInteger();
        ProfileStoreUnavailableException e = assertThrows(ProfileStoreUnavailableException.class,
                () -> store.forEachProfileVectors(StoreFixtures.MODEL_A, v -> {
                    if (handed.getAndIncrement() == 0) {
                        terminateOtherBackendsOfThisTest();
                    }
                }));
        assertTrue(e.getMessage().startsWith("could not load the profile vectors: the profile database is "
                + "unavailable"), e.getMessage());
        // The store recovers by itself: the next call gets a new connection.
        assertTrue(store.profile(ProfileId.random()).isEmpty());
    }

    /** Ends this test class's other connections as an operator or a failover would (only this class's ones). */
    private void terminateOtherBackendsOfThisTest() {
        try (Connection c = dataSource(PORT, null).getConnection();
             PreparedStatement s = c.prepareStatement("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     + "WHERE application_name = ? AND pid <> pg_backend_pid()")) {
            s.setString(1, schema);
            try (ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next(), "a backend of this test to terminate");
            }
        } catch (SQLException e) {
            fail(e);
        }
    }
}
