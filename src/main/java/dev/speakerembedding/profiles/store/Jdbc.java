package dev.speakerembedding.profiles.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;

import javax.sql.DataSource;

/**
 * Connections and local transactions: each store call takes a connection from the {@link DataSource} (the
 * container's pool in the server), runs in one transaction and gives the connection back, whatever happens.
 */
final class Jdbc {

    /** Work on one connection; may throw {@link SQLException} or a {@link ProfileStoreException}. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Turns a SQL exception the work threw into the store's exception, knowing the statement it came from. */
    @FunctionalInterface
    interface Translation {
        /** @return the exception to throw, or null to let {@link SqlErrors#translate} decide */
        ProfileStoreException translate(SQLException e);
    }

    private final DataSource dataSource;

    Jdbc(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws anything.
     *
     * @param operation what is being done, for messages ("create a profile")
     */
    <T> T inTransaction(String operation, Translation translation, Work<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                restoreAutoCommit(connection, autoCommit);
            }
        } catch (SQLException e) {
            ProfileStoreException translated = translation == null ? null : translation.translate(e);
            throw translated != null ? translated : SqlErrors.translate(operation, e);
        }
    }

    <T> T inTransaction(String operation, Work<T> work) {
        return inTransaction(operation, null, work);
    }

    private static void rollbackQuietly(Connection connection, Throwable failure) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(SqlErrors.withoutMessage(rollbackFailure));
        }
    }

    /** A pooled connection goes back as it came; a broken one cannot be restored and the pool discards it. */
    private static void restoreAutoCommit(Connection connection, boolean autoCommit) {
        try {
            if (!connection.isClosed() && connection.getAutoCommit() != autoCommit) {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException ignored) {
            // The connection is broken; closing it is all that is left, and the try-with-resources does that.
        }
    }

    /** Timestamps go through OffsetDateTime, which both drivers map to TIMESTAMP WITH TIME ZONE without a zone. */
    static OffsetDateTime toDatabase(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    static Instant fromDatabase(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }

}
