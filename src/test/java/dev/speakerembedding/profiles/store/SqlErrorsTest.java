package dev.speakerembedding.profiles.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;

/** How database errors become the store's exceptions, with the drivers' SQLStates and codes as they throw them. */
class SqlErrorsTest {

    private static final String ROW = "Failing row contains (0.0123, 0.4567, employee-4711@example.org)";

    @Test
    void connectionClassAndServerShutdownAreUnavailable() {
        for (String state : new String[] {"08001", "08006", "08003", "57P01", "57P03", "53300", "55P03", "HYT00"}) {
            SQLException e = new SQLException("connection trouble", state);
            ProfileStoreException translated = SqlErrors.translate("list profiles", e);
            assertInstanceOf(ProfileStoreUnavailableException.class, translated, state);
            assertSame(e, translated.getCause(), "a connection exception is attached as it is");
            assertTrue(translated.getMessage().contains("SQLState " + state), translated.getMessage());
        }
        assertTrue(SqlErrors.isUnavailable(new SQLTransientConnectionException("pool wait timed out")));
        assertTrue(SqlErrors.isUnavailable(new SQLException("Connection is broken", "90067", 90067)));
        assertTrue(SqlErrors.isUnavailable(new RuntimeException("wrapped",
                new SQLException("refused", "08001"))), "found through causes (Flyway wraps)");
    }

    @Test
    void aConnectionLostInABatchIsFoundInTheChain() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 0 was aborted", null, 0, new int[0]);
        batch.setNextException(new SQLException("An I/O error occurred while sending to the backend", "08006"));
        assertInstanceOf(ProfileStoreUnavailableException.class, SqlErrors.translate("store enrollments", batch));
        assertEquals("08006", SqlErrors.sqlState(batch));
    }

    @Test
    void constraintViolationsAreNotUnavailabilityAndNeverQuoteTheRow() {
        BatchUpdateException batch = new BatchUpdateException("Batch entry 2 INSERT ... " + ROW, "23514", 0,
                new int[0]);
        batch.setNextException(new SQLException("ERROR: new row violates check constraint. Detail: " + ROW, "23514"));
        ProfileStoreException translated = SqlErrors.translate("store enrollments", batch);
        assertInstanceOf(ProfileStoreFailureException.class, translated);
        assertTrue(translated.getMessage().contains("SQLState 23514"), translated.getMessage());
        ProfileStoreContract.assertNoTraceOf(translated, "0.0123");
        ProfileStoreContract.assertNoTraceOf(translated, "employee-4711");
        SQLException cause = (SQLException) translated.getCause();
        assertEquals("23514", cause.getSQLState());
        assertEquals("23514", cause.getNextException().getSQLState(), "the chain's states are kept");
        assertEquals(batch.getStackTrace().length, cause.getStackTrace().length, "the stack trace is kept");
    }

    @Test
    void integrityStatesAreRecognisedForBothDatabases() {
        assertTrue(SqlErrors.isUniqueViolation(new SQLException(ROW, "23505")));
        assertTrue(SqlErrors.isMissingParent(new SQLException(ROW, "23503")), "PostgreSQL");
        assertTrue(SqlErrors.isMissingParent(new SQLException(ROW, "23506", 23506)), "H2");
        assertFalse(SqlErrors.isMissingParent(new SQLException(ROW, "23505")));
        assertFalse(SqlErrors.isUnavailable(new SQLException(ROW, "23505")));
        assertFalse(SqlErrors.isUnavailable(new SQLException("syntax", "42601")));
    }
}
