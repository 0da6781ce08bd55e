package dev.speakerembedding.profiles.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The change log (tables {@code profile_changes} and {@code profile_change_clock}, see migration V1): every write
 * appends one change in its own transaction, so a change is visible exactly when the write is.
 *
 * <p>Seqs are taken from the clock row, whose lock the writing transaction holds until it commits: writes that
 * append changes therefore commit one after the other in seq order, and a reader that sees seq n sees every seq
 * below it. The cost is that appends queue on one row; {@link #append} must be the last statement of a
 * transaction so the row is held only for the commit.
 */
final class ChangeLog {

    private ChangeLog() {
    }

    /** Appends a change; call it last in the writing transaction. */
    static long append(Connection connection, ProfileId profileId, ChangeKind kind, Instant at) throws SQLException {
        try (PreparedStatement tick = connection.prepareStatement(
                "UPDATE profile_change_clock SET last_seq = last_seq + 1 WHERE id = 1")) {
            if (tick.executeUpdate() != 1) {
                throw new ProfileStoreFailureException("the change log's clock row is missing (migration V1 "
                        + "inserts it)");
            }
        }
        long seq;
        try (PreparedStatement read = connection.prepareStatement(
                "SELECT last_seq FROM profile_change_clock WHERE id = 1");
             ResultSet rs = read.executeQuery()) {
            rs.next();
            seq = rs.getLong(1);
        }
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO profile_changes (seq, profile_id, kind, changed_at) VALUES (?, ?, ?, ?)")) {
            insert.setLong(1, seq);
            insert.setObject(2, profileId.value());
            insert.setString(3, kind.name());
            insert.setObject(4, Jdbc.toDatabase(at));
            insert.executeUpdate();
        }
        return seq;
    }

    /** The clock: {last_seq, pruned_through_seq}. */
    static long[] clock(Connection connection) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement(
                "SELECT last_seq, pruned_through_seq FROM profile_change_clock WHERE id = 1");
             ResultSet rs = read.executeQuery()) {
            if (!rs.next()) {
                throw new ProfileStoreFailureException("the change log's clock row is missing (migration V1 "
                        + "inserts it)");
            }
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    static ProfileChanges since(Connection connection, long afterSeq, int limit) throws SQLException {
        long[] clock = clock(connection);
        if (afterSeq < clock[1]) {
            return new ProfileChanges(List.of(), clock[0], true);
        }
        List<ProfileChange> changes = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT seq, profile_id, kind, changed_at FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?")) {
            select.setLong(1, afterSeq);
            select.setInt(2, limit);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    changes.add(new ProfileChange(rs.getLong(1), new ProfileId(rs.getObject(2, UUID.class)),
                            kind(rs.getString(3)), Jdbc.fromDatabase(rs.getObject(4, OffsetDateTime.class))));
                }
            }
        }
        long latest = changes.isEmpty() ? clock[0] : Math.max(clock[0], changes.get(changes.size() - 1).seq());
        return new ProfileChanges(changes, latest, false);
    }

    /** Deletes the changes older than {@code olderThan}; returns how many. */
    static int prune(Connection connection, Instant olderThan) throws SQLException {
        long through;
        try (PreparedStatement max = connection.prepareStatement(
                "SELECT MAX(seq) FROM profile_changes WHERE changed_at < ?")) {
            max.setObject(1, Jdbc.toDatabase(olderThan));
            try (ResultSet rs = max.executeQuery()) {
                rs.next();
                through = rs.getLong(1);
                if (rs.wasNull()) {
                    return 0;
                }
            }
        }
        int deleted;
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM profile_changes WHERE seq <= ?")) {
            delete.setLong(1, through);
            deleted = delete.executeUpdate();
        }
        try (PreparedStatement mark = connection.prepareStatement(
                "UPDATE profile_change_clock SET pruned_through_seq = ? WHERE id = 1 AND pruned_through_seq < ?")) {
            mark.setLong(1, through);
            mark.setLong(2, through);
            mark.executeUpdate();
        }
        return deleted;
    }

    private static ChangeKind kind(String stored) {
        try {
            return ChangeKind.valueOf(stored);
        } catch (IllegalArgumentException e) {
            throw new ProfileStoreFailureException("the change log holds a change kind this version does not know");
        }
    }
}
