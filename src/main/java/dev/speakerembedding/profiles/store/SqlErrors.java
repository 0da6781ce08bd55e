package dev.speakerembedding.profiles.store;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Turns a {@link SQLException} into the store's exceptions, by SQLState class rather than driver classes (the
 * drivers are the server's library, not the application's):
 * <ul>
 *   <li>unavailable (503): class 08 (connection exception), PostgreSQL's 57P01-57P03 (server shutting down or
 *       starting), 53300 (too many connections), lock timeouts (PostgreSQL 55P03, H2 HYT00), H2's own codes for a
 *       closed or broken database, and the JDBC connection exception types a pool throws when it times out;</li>
 *   <li>integrity (class 23): decided by the caller, who knows which constraint the statement can break;</li>
 *   <li>anything else: a failure (500).</li>
 * </ul>
 *
 * <p>Databases put row values in their messages (PostgreSQL's "Key (external_id)=(...) already exists" and
 * "Failing row contains (...)", H2's "... VALUES ( /* 1 *&#47; '...' )"), so a database exception is never
 * attached as it is, except a connection exception, whose text names only the server: the cause attached is a
 * copy with the SQLState, vendor code and stack trace and without the message.
 */
final class SqlErrors {

    /** H2: 90067 connection broken, 90098 database closed, 90020 database file in use, 90121 closing. */
    private static final Set<Integer> H2_UNAVAILABLE_CODES = Set.of(90067, 90098, 90020, 90121);
    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300", "55P03", "HYT00");

    private SqlErrors() {
    }

    /** The SQLState of {@code e} or of the first exception chained to it that has one; "" when none has. */
    static String sqlState(SQLException e) {
        for (SQLException current = e; current != null; current = next(current)) {
            if (current.getSQLState() != null) {
                return current.getSQLState();
            }
        }
        return "";
    }

    static boolean isIntegrityViolation(SQLException e) {
        return sqlState(e).startsWith("23");
    }

    static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(sqlState(e));
    }

    /** A row whose parent is missing: PostgreSQL's 23503, H2's 23506 (H2's 23503 is a parent with children). */
    static boolean isMissingParent(SQLException e) {
        String state = sqlState(e);
        return "23503".equals(state) || "23506".equals(state);
    }

    static boolean isUnavailable(Throwable t) {
        for (Throwable current = t; current != null; current = current.getCause()) {
            if (current instanceof SQLException e && isUnavailableSql(e)) {
                return true;
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return false;
    }

    private static boolean isUnavailableSql(SQLException e) {
        for (SQLException current = e; current != null; current = next(current)) {
            if (current instanceof SQLTransientConnectionException
                    || current instanceof SQLNonTransientConnectionException
                    || current instanceof SQLRecoverableException) {
                return true;
            }
            String state = current.getSQLState();
            if (state != null && (state.startsWith("08") || UNAVAILABLE_STATES.contains(state))) {
                return true;
            }
            if (H2_UNAVAILABLE_CODES.contains(current.getErrorCode())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The store's exception for {@code e}, which the caller has already checked for the integrity violations it
     * expects.
     *
     * @param operation what was being done, e.g. "create a profile"
     */
    static ProfileStoreException translate(String operation, SQLException e) {
        if (isUnavailable(e)) {
            return new ProfileStoreUnavailableException("could not " + operation + ": the profile database is "
                    + "unavailable (SQLState " + orUnknown(sqlState(e)) + ")", e);
        }
        return new ProfileStoreFailureException("could not " + operation + ": the profile database answered SQLState "
                + orUnknown(sqlState(e)) + ", vendor code " + e.getErrorCode(), withoutMessage(e));
    }

    /**
     * A copy of {@code e} that keeps what a developer needs (type, SQLState, vendor code, stack trace, and the same
     * for its chain) and drops the messages, which may quote stored values.
     */
    static SQLException withoutMessage(SQLException e) {
        SQLException copy = new SQLException(e.getClass().getName() + " (message withheld: it may quote stored "
                + "values)", e.getSQLState(), e.getErrorCode());
        copy.setStackTrace(e.getStackTrace());
        SQLException chained = next(e);
        if (chained != null) {
            copy.setNextException(withoutMessage(chained));
        }
        return copy;
    }

    private static SQLException next(SQLException e) {
        SQLException next = e.getNextException();
        if (next == null && e instanceof BatchUpdateException && e.getCause() instanceof SQLException cause) {
            next = cause;
        }
        if (next == null && e.getCause() instanceof SQLException cause && cause != e) {
            next = cause;
        }
        return next == e ? null : next;
    }

    private static String orUnknown(String state) {
        return state.isEmpty() ? "unknown" : state;
    }
}
