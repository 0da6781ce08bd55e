package dev.speakerembedding.profiles.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's contract on the embedded default: H2 in file mode, in a directory of this test class's own. */
class H2ProfileStoreTest extends ProfileStoreContract {

    /** As the server's default dataSource will open it (see the report on the Liberty edge). */
    static String url(Path directory) {
        return "jdbc:h2:file:" + directory.resolve("profiles").toAbsolutePath() + ";LOCK_TIMEOUT=10000";
    }

    @TempDir
    static Path directory;

    private JdbcConnectionPool pool;

    @Override
    protected DataSource openDatabase() {
        pool = JdbcConnectionPool.create(url(directory), "sa", "");
        pool.setMaxConnections(32);
        return pool;
    }

    @Override
    protected void closeDatabase() {
        if (pool != null) {
            pool.dispose();
        }
    }

    @Override
    protected DataSource unreachableDataSource() throws Exception {
        JdbcDataSource remote = new JdbcDataSource();
        remote.setURL("jdbc:h2:tcp://127.0.0.1:" + ClosedPort.find() + "/profiles");
        remote.setUser("sa");
        return remote;
    }

    @Override
    protected List<String> tablesOfThisSchema(DatabaseMetaData metaData) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = metaData.getTables(null, "PUBLIC", "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add("\"" + rs.getString("TABLE_NAME") + "\"");
            }
        }
        return tables;
    }

    @Test
    void profilesSurviveClosingAndReopeningTheDatabaseFile() throws Exception {
        Profile p = store.createProfile(new NewProfile("kept-across-restarts", null));
        store.addEnrollments(p.id(), List.of(StoreFixtures.enrollment(3)));
        Profile before = store.profile(p.id()).orElseThrow();
        float[] vectorBefore = store.loadVectors(p.id(), StoreFixtures.MODEL_A).orElseThrow().profileVector();
        pool.dispose();
        try (var files = Files.list(directory)) {
            assertEquals(List.of("profiles.mv.db"), files.map(f -> f.getFileName().toString()).toList(),
                    "the database is closed: only its file is left");
        }
        dataSource = openDatabase();
        assertEquals(0, ProfileSchema.migrate(dataSource).appliedMigrations());
        JdbcProfileStore reopened = new JdbcProfileStore(dataSource);
        assertEquals(before, reopened.profile(p.id()).orElseThrow());
        org.junit.jupiter.api.Assertions.assertArrayEquals(vectorBefore,
                reopened.loadVectors(p.id(), StoreFixtures.MODEL_A).orElseThrow().profileVector());
    }
}
