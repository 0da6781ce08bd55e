package dev.speakerembedding.profiles.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import javax.sql.DataSource;

import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileStateCounts;
import dev.speakerembedding.profiles.store.InvalidProfileInputException.Reason;

/**
 * {@link ProfileStore} over plain JDBC, on PostgreSQL 15 and H2 2.x with the same SQL (schema: {@link ProfileSchema}).
 *
 * <p>Plain JDBC rather than JPA: the store is a dozen statements over three tables, two of which (the change clock
 * and the streamed index load) need control JPA hides: a row lock held to commit, a cursor fetched in batches with
 * auto-commit off, vectors as raw bytes. JDBC keeps each of those visible in one place, needs no
 * {@code persistence-3.1} feature or entity enhancement, and runs in a unit test on a bare {@link DataSource}.
 *
 * <p>Concurrency: every write that touches a profile's enrollments first updates the profile's row
 * ({@code updated_at}), which both checks that it exists and locks it until commit. So concurrent enrollments into
 * one profile queue on its row and all are stored, and a delete racing an enrollment either comes first (the
 * enrollment finds no profile: {@link ProfileNotFoundException}) or waits for it and cascades to what it stored;
 * the foreign key with ON DELETE CASCADE is the second guarantee that no enrollment outlives its profile.
 *
 * <p>Timestamps are the {@link Clock}'s, truncated to microseconds (both databases' precision) so that a value read
 * back equals the value written and page cursors compare exactly.
 *
 * <p>Call it outside JTA transactions: it runs local transactions on the connections it gets (in Liberty, a
 * {@code dataSource} with {@code transactional="false"}).
 */
public final class JdbcProfileStore implements ProfileStore {

    private static final String PROFILE_COLUMNS = "id, external_id, metadata, created_at, updated_at";
    private static final String ENROLLMENT_COLUMNS =
            "id, profile_id, model_identity, duration_seconds, speech_seconds, created_at";

    private final Jdbc jdbc;
    private final Clock clock;

    public JdbcProfileStore(DataSource dataSource) {
        this(dataSource, Clock.systemUTC());
    }

    public JdbcProfileStore(DataSource dataSource, Clock clock) {
        this.jdbc = new Jdbc(dataSource);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Profile createProfile(NewProfile profile) {
        Objects.requireNonNull(profile, "profile");
        Instant now = now();
        Profile created = new Profile(ProfileId.random(), profile.externalId(), profile.metadataJson(), now, now);
        return jdbc.inTransaction("create a profile",
                e -> SqlErrors.isUniqueViolation(e) ? new DuplicateExternalIdException() : null,
                connection -> {
                    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO profiles ("
                            + PROFILE_COLUMNS + ") VALUES (?, ?, ?, ?, ?)")) {
                        insert.setObject(1, created.id().value());
                        insert.setString(2, created.externalId());
                        insert.setString(3, created.metadataJson());
                        insert.setObject(4, Jdbc.toDatabase(now));
                        insert.setObject(5, Jdbc.toDatabase(now));
                        insert.executeUpdate();
                    }
                    ChangeLog.append(connection, created.id(), ChangeKind.CREATED, now);
                    return created;
                });
    }

    @Override
    public Optional<Profile> profile(ProfileId id) {
        Objects.requireNonNull(id, "id");
        return jdbc.inTransaction("read a profile", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + PROFILE_COLUMNS
                    + " FROM profiles WHERE id = ?")) {
                select.setObject(1, id.value());
                return firstProfile(select);
            }
        });
    }

    @Override
    public Optional<Profile> profileByExternalId(String externalId) {
        ProfileInputs.checkExternalId(externalId);
        return jdbc.inTransaction("find a profile by external_id", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + PROFILE_COLUMNS
                    + " FROM profiles WHERE external_id = ?")) {
                select.setString(1, externalId);
                return firstProfile(select);
            }
        });
    }

    @Override
    public Map<String, ProfileId> profileIdsByExternalIds(Collection<String> externalIds) {
        Objects.requireNonNull(externalIds, "externalIds");
        if (externalIds.size() > MAX_EXTERNAL_ID_LOOKUP) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, externalIds.size()
                    + " external ids asked for, at most " + MAX_EXTERNAL_ID_LOOKUP + " are allowed");
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (String externalId : externalIds) {
            distinct.add(ProfileInputs.checkExternalId(externalId));
        }
        if (distinct.isEmpty()) {
            return Map.of();
        }
        String placeholders = String.join(", ", Collections.nCopies(distinct.size(), "?"));
        return jdbc.inTransaction("find profiles by external_id", connection -> {
            Map<String, ProfileId> found = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT external_id, id FROM profiles WHERE external_id IN (" + placeholders + ")")) {
                int i = 1;
                for (String externalId : distinct) {
                    select.setString(i++, externalId);
                }
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        found.put(rs.getString(1), new ProfileId(rs.getObject(2, UUID.class)));
                    }
                }
            }
            return Map.copyOf(found);
        });
    }

    @Override
    public ProfilePage listProfiles(int limit, PageCursor after) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, "page size must be in 1.." + MAX_PAGE_SIZE
                    + ", got " + limit);
        }
        String where = after == null ? "" : " WHERE created_at > ? OR (created_at = ? AND id > ?)";
        return jdbc.inTransaction("list profiles", connection -> {
            List<Profile> profiles = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement("SELECT " + PROFILE_COLUMNS
                    + " FROM profiles" + where + " ORDER BY created_at, id LIMIT ?")) {
                int i = 1;
                if (after != null) {
                    select.setObject(i++, Jdbc.toDatabase(after.createdAt()));
                    select.setObject(i++, Jdbc.toDatabase(after.createdAt()));
                    select.setObject(i++, after.id().value());
                }
                // One more than asked for tells whether a next page exists without a second query.
                select.setInt(i, limit + 1);
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        profiles.add(profile(rs));
                    }
                }
            }
            List<Profile> page = profiles.size() <= limit ? profiles : profiles.subList(0, limit);
            Map<ProfileId, List<Enrollment>> enrollments = enrollmentsOf(connection, page);
            if (profiles.size() <= limit) {
                return new ProfilePage(page, enrollments, null);
            }
            Profile last = page.get(limit - 1);
            return new ProfilePage(page, enrollments, new PageCursor(last.createdAt(), last.id()));
        });
    }

    /** The enrollments of {@code page}'s profiles in one statement (a page is at most MAX_PAGE_SIZE profiles). */
    private static Map<ProfileId, List<Enrollment>> enrollmentsOf(Connection connection, List<Profile> page)
            throws SQLException {
        Map<ProfileId, List<Enrollment>> byProfile = new HashMap<>();
        if (page.isEmpty()) {
            return byProfile;
        }
        String marks = String.join(", ", Collections.nCopies(page.size(), "?"));
        try (PreparedStatement select = connection.prepareStatement("SELECT e.profile_id, e.id, e.model_identity, "
                + "e.duration_seconds, e.speech_seconds, e.created_at FROM enrollments e WHERE e.profile_id IN ("
                + marks + ") ORDER BY e.created_at, e.id")) {
            for (int i = 0; i < page.size(); i++) {
                select.setObject(i + 1, page.get(i).id().value());
            }
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    ProfileId profile = new ProfileId(rs.getObject(1, UUID.class));
                    EnrollmentId eid = new EnrollmentId(rs.getObject(2, UUID.class));
                    byProfile.computeIfAbsent(profile, k -> new ArrayList<>()).add(new Enrollment(eid, profile,
                            modelIdentity(rs.getString(3), eid), rs.getDouble(4), rs.getDouble(5),
                            Jdbc.fromDatabase(rs.getObject(6, OffsetDateTime.class))));
                }
            }
        }
        return byProfile;
    }

    @Override
    public boolean deleteProfile(ProfileId id) {
        Objects.requireNonNull(id, "id");
        Instant now = now();
        return jdbc.inTransaction("delete a profile", connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM profiles WHERE id = ?")) {
                delete.setObject(1, id.value());
                if (delete.executeUpdate() == 0) {
                    return false;
                }
            }
            ChangeLog.append(connection, id, ChangeKind.DELETED, now);
            return true;
        });
    }

    @Override
    public List<Enrollment> addEnrollments(ProfileId id, List<NewEnrollment> batch) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(batch, "batch");
        if (batch.isEmpty() || batch.size() > MAX_ENROLLMENTS_PER_BATCH) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, "an enrollment batch holds 1.."
                    + MAX_ENROLLMENTS_PER_BATCH + " enrollments, got " + batch.size());
        }
        for (int i = 0; i < batch.size(); i++) {
            Objects.requireNonNull(batch.get(i), "enrollment " + i);
        }
        Instant now = now();
        List<Enrollment> stored = new ArrayList<>(batch.size());
        for (NewEnrollment e : batch) {
            stored.add(new Enrollment(EnrollmentId.random(), id, e.modelIdentity(), e.durationSeconds(),
                    e.speechSeconds(), now));
        }
        return jdbc.inTransaction("store enrollments",
                e -> SqlErrors.isMissingParent(e) ? new ProfileNotFoundException(id) : null,
                connection -> {
                    lockProfile(connection, id, now);
                    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO enrollments ("
                            + ENROLLMENT_COLUMNS + ", dimension, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                        for (int i = 0; i < batch.size(); i++) {
                            NewEnrollment e = batch.get(i);
                            Enrollment s = stored.get(i);
                            insert.setObject(1, s.id().value());
                            insert.setObject(2, id.value());
                            insert.setString(3, e.modelIdentity().key());
                            insert.setDouble(4, e.durationSeconds());
                            insert.setDouble(5, e.speechSeconds());
                            insert.setObject(6, Jdbc.toDatabase(now));
                            insert.setInt(7, e.modelIdentity().dimension());
                            insert.setBytes(8, EmbeddingCodec.encode(e.unitEmbeddingShared()));
                            insert.addBatch();
                        }
                        insert.executeBatch();
                    }
                    ChangeLog.append(connection, id, ChangeKind.ENROLLED, now);
                    return List.copyOf(stored);
                });
    }

    @Override
    public List<Enrollment> listEnrollments(ProfileId id) {
        Objects.requireNonNull(id, "id");
        return jdbc.inTransaction("list enrollments", connection -> {
            // One statement, so the profile's existence and its enrollments are read from one snapshot.
            try (PreparedStatement select = connection.prepareStatement("SELECT p.id, e.id, e.model_identity, "
                    + "e.duration_seconds, e.speech_seconds, e.created_at FROM profiles p "
                    + "LEFT JOIN enrollments e ON e.profile_id = p.id WHERE p.id = ? ORDER BY e.created_at, e.id")) {
                select.setObject(1, id.value());
                try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                        throw new ProfileNotFoundException(id);
                    }
                    List<Enrollment> enrollments = new ArrayList<>();
                    do {
                        UUID enrollmentId = rs.getObject(2, UUID.class);
                        if (enrollmentId != null) {
                            EnrollmentId eid = new EnrollmentId(enrollmentId);
                            enrollments.add(new Enrollment(eid, id, modelIdentity(rs.getString(3), eid),
                                    rs.getDouble(4), rs.getDouble(5),
                                    Jdbc.fromDatabase(rs.getObject(6, OffsetDateTime.class))));
                        }
                    } while (rs.next());
                    return List.copyOf(enrollments);
                }
            }
        });
    }

    @Override
    public boolean deleteEnrollment(ProfileId id, EnrollmentId enrollmentId) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(enrollmentId, "enrollmentId");
        Instant now = now();
        return jdbc.inTransaction("delete an enrollment", connection -> {
            lockProfile(connection, id, now);
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM enrollments WHERE id = ? AND profile_id = ?")) {
                delete.setObject(1, enrollmentId.value());
                delete.setObject(2, id.value());
                if (delete.executeUpdate() == 0) {
                    connection.rollback();
                    return false;
                }
            }
            ChangeLog.append(connection, id, ChangeKind.ENROLLMENT_DELETED, now);
            return true;
        });
    }

    @Override
    public int deleteEnrollments(ProfileId id) {
        Objects.requireNonNull(id, "id");
        Instant now = now();
        return jdbc.inTransaction("delete a profile's enrollments", connection -> {
            lockProfile(connection, id, now);
            int deleted;
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM enrollments WHERE profile_id = ?")) {
                delete.setObject(1, id.value());
                deleted = delete.executeUpdate();
            }
            if (deleted == 0) {
                connection.rollback();
                return 0;
            }
            ChangeLog.append(connection, id, ChangeKind.RESET, now);
            return deleted;
        });
    }

    @Override
    public int countProfilesWithVectors(ModelIdentity model) {
        Objects.requireNonNull(model, "model");
        return jdbc.inTransaction("count the profiles with vectors", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT COUNT(DISTINCT profile_id) FROM enrollments WHERE model_identity = ?")) {
                select.setString(1, model.key());
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    @Override
    public int forEachProfileVectors(ModelIdentity model, Consumer<ProfileVectors> consumer) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(consumer, "consumer");
        return jdbc.inTransaction("load the profile vectors",
                connection -> VectorQueries.forEachProfile(connection, model, consumer));
    }

    @Override
    public Optional<ProfileVectors> loadVectors(ProfileId id, ModelIdentity model) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        return jdbc.inTransaction("load a profile's vectors", connection -> VectorQueries.ofProfile(connection, id,
                model));
    }

    @Override
    public ProfileStateCounts countProfilesByState(ModelIdentity model, double minSpeechSeconds) {
        Objects.requireNonNull(model, "model");
        if (!(minSpeechSeconds >= 0) || Double.isInfinite(minSpeechSeconds)) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, "minimum speech seconds must be finite and "
                    + "not negative, got " + minSpeechSeconds);
        }
        return jdbc.inTransaction("count the profiles by state", connection -> {
            try (PreparedStatement select = connection.prepareStatement(COUNT_BY_STATE)) {
                select.setDouble(1, EnrollmentPolicy.SPEECH_SECONDS_EPSILON);
                select.setDouble(2, minSpeechSeconds);
                select.setString(3, model.key());
                select.setString(4, model.key());
                select.setString(5, model.key());
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    long enrolled = rs.getLong(1);
                    long needsReenrollment = rs.getLong(3);
                    // The two are disjoint (some enrollments of the model, none): the rest is enrolling.
                    return new ProfileStateCounts(enrolled, rs.getLong(2) - enrolled - needsReenrollment,
                            needsReenrollment);
                }
            }
        });
    }

    /**
     * {@link EnrollmentPolicy#status} as one aggregate: per profile (a left join, so profiles without enrollments
     * count too) the model's enrollments, the others and the model's speech; then the policy's rule, with the
     * epsilon and minimum bound as parameters, written {@code speech + epsilon >= minimum} as the policy computes
     * it. The casts tell both databases the parameters' type.
     */
    private static final String COUNT_BY_STATE = "SELECT"
            + " COUNT(CASE WHEN s.current_count > 0 AND s.speech + CAST(? AS DOUBLE PRECISION)"
            + " >= CAST(? AS DOUBLE PRECISION) THEN 1 END),"
            + " COUNT(*),"
            + " COUNT(CASE WHEN s.current_count = 0 AND s.other_count > 0 THEN 1 END)"
            + " FROM (SELECT p.id,"
            + " COUNT(CASE WHEN e.model_identity = ? THEN 1 END) AS current_count,"
            + " COUNT(CASE WHEN e.model_identity <> ? THEN 1 END) AS other_count,"
            + " COALESCE(SUM(CASE WHEN e.model_identity = ? THEN e.speech_seconds END), 0) AS speech"
            + " FROM profiles p LEFT JOIN enrollments e ON e.profile_id = p.id GROUP BY p.id) s";

    @Override
    public OtherModelEnrollments otherModelEnrollments(ModelIdentity model, Collection<ProfileId> among) {
        Objects.requireNonNull(model, "model");
        if (among != null && among.size() > MAX_EXTERNAL_ID_LOOKUP) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, among.size()
                    + " profiles asked about, at most " + MAX_EXTERNAL_ID_LOOKUP + " are allowed");
        }
        if (among != null && among.isEmpty()) {
            return OtherModelEnrollments.NONE;
        }
        Set<ProfileId> distinct = among == null ? Set.of() : new LinkedHashSet<>(among);
        String restriction = among == null ? "" : " AND e.profile_id IN ("
                + String.join(", ", Collections.nCopies(distinct.size(), "?")) + ")";
        // The second count: profiles of which no enrollment is the model's, i.e. that scoring leaves out whole.
        String sql = "SELECT COUNT(*), COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM enrollments c"
                + " WHERE c.profile_id = e.profile_id AND c.model_identity = ?) THEN e.profile_id END)"
                + " FROM enrollments e WHERE e.model_identity <> ?" + restriction;
        return jdbc.inTransaction("count other models' enrollments", connection -> {
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                select.setString(1, model.key());
                select.setString(2, model.key());
                int i = 3;
                for (ProfileId id : distinct) {
                    select.setObject(i++, id.value());
                }
                try (ResultSet rs = select.executeQuery()) {
                    rs.next();
                    return new OtherModelEnrollments(rs.getInt(1), rs.getInt(2));
                }
            }
        });
    }

    @Override
    public long latestChangeSeq() {
        return jdbc.inTransaction("read the change log", connection -> ChangeLog.clock(connection)[0]);
    }

    @Override
    public ProfileChanges changesSince(long afterSeq, int limit) {
        if (afterSeq < 0) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, "seq must not be negative, got " + afterSeq);
        }
        if (limit < 1 || limit > MAX_CHANGES_PER_POLL) {
            throw new InvalidProfileInputException(Reason.OUT_OF_RANGE, "change limit must be in 1.."
                    + MAX_CHANGES_PER_POLL + ", got " + limit);
        }
        return jdbc.inTransaction("read the change log", connection -> ChangeLog.since(connection, afterSeq, limit));
    }

    @Override
    public int pruneChanges(Instant olderThan) {
        Objects.requireNonNull(olderThan, "olderThan");
        return jdbc.inTransaction("prune the change log", connection -> ChangeLog.prune(connection, olderThan));
    }

    /** Checks that the profile exists and holds its row lock until commit (see the class description). */
    private static void lockProfile(Connection connection, ProfileId id, Instant now) throws SQLException {
        try (PreparedStatement touch = connection.prepareStatement(
                "UPDATE profiles SET updated_at = ? WHERE id = ?")) {
            touch.setObject(1, Jdbc.toDatabase(now));
            touch.setObject(2, id.value());
            if (touch.executeUpdate() == 0) {
                throw new ProfileNotFoundException(id);
            }
        }
    }

    private static Optional<Profile> firstProfile(PreparedStatement select) throws SQLException {
        try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? Optional.of(profile(rs)) : Optional.empty();
        }
    }

    private static Profile profile(ResultSet rs) throws SQLException {
        return new Profile(new ProfileId(rs.getObject(1, UUID.class)), rs.getString(2), rs.getString(3),
                Jdbc.fromDatabase(rs.getObject(4, OffsetDateTime.class)),
                Jdbc.fromDatabase(rs.getObject(5, OffsetDateTime.class)));
    }

    private static ModelIdentity modelIdentity(String key, EnrollmentId enrollment) {
        try {
            return ModelIdentity.parse(key);
        } catch (IllegalArgumentException e) {
            throw new ProfileStoreFailureException("enrollment " + enrollment + " has a model identity key this "
                    + "version cannot read (written by a newer version?)");
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
