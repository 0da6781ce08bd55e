package dev.speakerembedding.profiles.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed with SIGKILL while it enrolls into H2 in file mode: every batch it reported committed is there in
 * full after a restart, and no batch is there in part.
 */
class H2CrashTest {

    @TempDir
    Path directory;

    @Test
    void aKilledWriterLeavesEveryCommittedBatchWholeAndNoBatchInPart() throws Exception {
        String url = H2ProfileStoreTest.url(directory);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                H2WriterMain.class.getName(), url).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<ProfileId> committed = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            while (committed.size() < 40) {
                String line = out.readLine();
                assertNotNull(line, "the writer ended before it was killed");
                committed.add(ProfileId.parse(line.substring("enrolled ".length())));
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, child.exitValue(), "killed by SIGKILL");
        } finally {
            child.destroyForcibly();
        }

        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
        try {
            ProfileSchema.migrate(pool);
            JdbcProfileStore store = new JdbcProfileStore(pool);
            for (ProfileId id : committed) {
                assertEquals(H2WriterMain.BATCH, store.listEnrollments(id).size(), "committed batch of " + id);
            }
            int whole = 0;
            ProfilePage page = store.listProfiles(ProfileStore.MAX_PAGE_SIZE, null);
            for (Profile p : page.profiles()) {
                int n = store.listEnrollments(p.id()).size();
                assertTrue(n == 0 || n == H2WriterMain.BATCH, "a batch in part: " + n);
                whole += n == H2WriterMain.BATCH ? 1 : 0;
            }
            assertTrue(page.nextCursor().isEmpty());
            assertTrue(whole >= committed.size());
            long enrolledChanges = store.changesSince(0, ProfileStore.MAX_CHANGES_PER_POLL).changes().stream()
                    .filter(c -> c.kind() == ChangeKind.ENROLLED).count();
            assertEquals(whole, enrolledChanges, "the change log matches the data");
        } finally {
            pool.dispose();
        }
    }
}
