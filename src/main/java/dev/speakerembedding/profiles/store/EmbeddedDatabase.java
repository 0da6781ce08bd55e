package dev.speakerembedding.profiles.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The embedded default: H2 in file mode, one file ({@value #FILE_NAME}.mv.db) in the data directory. The server's
 * {@code dataSource} must use the same URL options; this is their one source, with the reasons.
 */
public final class EmbeddedDatabase {

    /** The database's base name inside the data directory. */
    public static final String FILE_NAME = "profiles";

    /**
     * <ul>
     *   <li>{@code WRITE_DELAY=0}: a commit reaches the file before the call returns. H2's default (500 ms) keeps
     *       commits in memory for up to half a second, and a JVM killed with SIGKILL then loses enrollments it had
     *       already confirmed ({@code H2CrashTest} fails with the default). Atomicity holds either way.</li>
     *   <li>{@code LOCK_TIMEOUT=10000}: writers queue on a profile's row and on the change clock; H2's default of
     *       1 s would refuse some of 20 concurrent enrollments on a loaded machine instead of storing them.</li>
     * </ul>
     * No {@code MODE=PostgreSQL}: the migrations and statements are written in the SQL both databases read the
     * same way, and H2's own mode is the one its authors test most.
     */
    public static final String URL_OPTIONS = ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";

    private EmbeddedDatabase() {
    }

    /** {@code jdbc:h2:file:<directory>/profiles} with {@link #URL_OPTIONS}. */
    public static String fileUrl(Path dataDirectory) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        return "jdbc:h2:file:" + dataDirectory.toAbsolutePath().resolve(FILE_NAME) + URL_OPTIONS;
    }
}
