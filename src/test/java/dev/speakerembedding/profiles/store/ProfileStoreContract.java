package dev.speakerembedding.profiles.store;

import static dev.speakerembedding.profiles.store.StoreFixtures.DIMENSION;
import static dev.speakerembedding.profiles.store.StoreFixtures.MODEL_A;
import static dev.speakerembedding.profiles.store.StoreFixtures.MODEL_B;
import static dev.speakerembedding.profiles.store.StoreFixtures.enrollment;
import static dev.speakerembedding.profiles.store.StoreFixtures.vector;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.ProfileScoring;
import dev.speakerembedding.profiles.ProfileState;
import dev.speakerembedding.profiles.ProfileStateCounts;
import dev.speakerembedding.profiles.UnitVectors;
import dev.speakerembedding.profiles.store.InvalidProfileInputException.Reason;

/**
 * What every {@link ProfileStore} database must do, run against a real H2 in file mode and a real PostgreSQL by
 * the subclasses. Each test class gets a database (or schema) of its own, migrated by {@link ProfileSchema}; each
 * test starts from empty tables.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProfileStoreContract {

    private static final String EXTERNAL_ID = "employee-4711@example.org";

    protected DataSource dataSource;
    protected JdbcProfileStore store;

    /** A migrated-nothing database or schema of this test class's own. */
    protected abstract DataSource openDatabase() throws Exception;

    protected abstract void closeDatabase() throws Exception;

    /** A data source for this database kind that cannot connect (nothing listens where it points). */
    protected abstract DataSource unreachableDataSource() throws Exception;

    @BeforeAll
    void setUpDatabase() throws Exception {
        dataSource = openDatabase();
        ProfileSchema.Migration first = ProfileSchema.migrate(dataSource);
        assertEquals(1, first.appliedMigrations());
        assertEquals("1", first.schemaVersion());
    }

    @AfterAll
    void tearDownDatabase() throws Exception {
        closeDatabase();
    }

    @BeforeEach
    void emptyTables() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM enrollments");
            s.executeUpdate("DELETE FROM profiles");
            s.executeUpdate("DELETE FROM profile_changes");
            s.executeUpdate("UPDATE profile_change_clock SET last_seq = 0, pruned_through_seq = 0");
        }
        store = new JdbcProfileStore(dataSource, new StoreFixtures.TickingClock());
    }

    // ---- schema

    @Test
    void migratingAgainAppliesNothing() {
        ProfileSchema.Migration again = ProfileSchema.migrate(dataSource);
        assertEquals(0, again.appliedMigrations());
        assertEquals("1", again.schemaVersion());
    }

    // ---- profiles

    @Test
    void createdProfileReadsBackExactly() {
        String metadata = "{\"name\":\"Zoë Ångström\",\"team\":\"音声\",\"emoji\":\"\uD83C\uDF99\"}";
        Profile created = store.createProfile(new NewProfile(EXTERNAL_ID, metadata));
        Profile read = store.profile(created.id()).orElseThrow();
        assertEquals(created, read);
        assertEquals(EXTERNAL_ID, read.externalId());
        assertEquals(metadata, read.metadataJson());
        assertEquals(0, read.createdAt().getNano() % 1000, "microsecond precision");
        assertEquals(read.createdAt(), read.updatedAt());
        assertEquals(created, store.profileByExternalId(EXTERNAL_ID).orElseThrow());
    }

    @Test
    void profilesWithoutExternalIdCanBeMany() {
        Profile a = store.createProfile(NewProfile.EMPTY);
        Profile b = store.createProfile(NewProfile.EMPTY);
        assertFalse(a.id().equals(b.id()));
        assertNull(store.profile(a.id()).orElseThrow().externalId());
        assertNull(store.profile(b.id()).orElseThrow().metadataJson());
        assertEquals(2, count("SELECT COUNT(*) FROM profiles"));
    }

    @Test
    void duplicateExternalIdIsRefusedWithoutNamingIt() {
        store.createProfile(new NewProfile(EXTERNAL_ID, null));
        DuplicateExternalIdException e = assertThrows(DuplicateExternalIdException.class,
                () -> store.createProfile(new NewProfile(EXTERNAL_ID, "{\"x\":1}")));
        assertNoTraceOf(e, EXTERNAL_ID);
        assertEquals(1, count("SELECT COUNT(*) FROM profiles"));
        assertEquals(1, store.latestChangeSeq(), "only the first creation is in the change log");
    }

    @Test
    void metadataUpToTheBoundIsStoredAndOneByteMoreIsRefused() {
        // 1364 three-byte characters, two letters and two quotes: 4096 bytes in 1368 characters.
        String fits = "\"" + "€".repeat(1364) + "ab\"";
        assertEquals(ProfileInputs.MAX_METADATA_BYTES, fits.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        Profile stored = store.createProfile(new NewProfile(null, fits));
        assertEquals(fits, store.profile(stored.id()).orElseThrow().metadataJson());

        String tooLarge = fits.replace("ab\"", "abc\"");
        InvalidProfileInputException e = assertThrows(InvalidProfileInputException.class,
                () -> store.createProfile(new NewProfile(EXTERNAL_ID, tooLarge)));
        assertEquals(Reason.METADATA_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("4097 bytes"), e.getMessage());
        InvalidProfileInputException huge = assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile(null, "x".repeat(10_000_000)));
        assertEquals(Reason.METADATA_TOO_LARGE, huge.reason());
        assertEquals(1, count("SELECT COUNT(*) FROM profiles"));
        assertTrue(store.profileByExternalId(EXTERNAL_ID).isEmpty());
    }

    @Test
    void textNoDatabaseCanHoldIsRefusedBeforeStoring() {
        assertEquals(Reason.INVALID_METADATA, assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile(null, "{\"a\":\"\0\"}")).reason());
        assertEquals(Reason.INVALID_METADATA, assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile(null, "{\"a\":\"\uD800\"}")).reason());
        assertEquals(Reason.INVALID_EXTERNAL_ID, assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile("a\nb", null)).reason());
        assertEquals(Reason.INVALID_EXTERNAL_ID, assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile("   ", null)).reason());
        InvalidProfileInputException tooLong = assertThrows(InvalidProfileInputException.class,
                () -> new NewProfile("p".repeat(257), null));
        assertFalse(tooLong.getMessage().contains("ppp"), tooLong.getMessage());
        Profile longest = store.createProfile(new NewProfile("p".repeat(256), null));
        assertEquals(256, store.profile(longest.id()).orElseThrow().externalId().length());
        assertEquals(1, count("SELECT COUNT(*) FROM profiles"));
    }

    @Test
    void malformedIdsAreRefusedWithoutEchoingThem() {
        for (String bad : List.of("", "not-a-uuid", "1-1-1-1-1", "0123456789abcdef0123456789abcdef",
                "{01234567-89ab-cdef-0123-456789abcdef}", "01234567-89ab-cdef-0123-456789abcdeg",
                "01234567-89ab-cdef-0123-456789abcdef0")) {
            InvalidProfileInputException e = assertThrows(InvalidProfileInputException.class,
                    () -> ProfileId.parse(bad), bad);
            assertEquals(Reason.MALFORMED_ID, e.reason());
            if (!bad.isEmpty()) {
                assertFalse(e.getMessage().contains(bad), e.getMessage());
            }
            assertEquals(Reason.MALFORMED_ID, assertThrows(InvalidProfileInputException.class,
                    () -> EnrollmentId.parse(bad)).reason());
        }
        assertEquals(Reason.MALFORMED_ID, assertThrows(InvalidProfileInputException.class,
                () -> ProfileId.parse(null)).reason());
        UUID upper = UUID.fromString("ABCDEF01-2345-6789-ABCD-EF0123456789");
        assertEquals(upper, ProfileId.parse("ABCDEF01-2345-6789-ABCD-EF0123456789").value());
    }

    @Test
    void unknownProfilesAreAbsentOrNotFound() {
        ProfileId unknown = ProfileId.random();
        assertTrue(store.profile(unknown).isEmpty());
        assertFalse(store.deleteProfile(unknown));
        assertEquals(unknown, assertThrows(ProfileNotFoundException.class,
                () -> store.addEnrollments(unknown, List.of(enrollment(1)))).profileId());
        assertThrows(ProfileNotFoundException.class, () -> store.listEnrollments(unknown));
        assertThrows(ProfileNotFoundException.class, () -> store.deleteEnrollments(unknown));
        assertThrows(ProfileNotFoundException.class,
                () -> store.deleteEnrollment(unknown, EnrollmentId.random()));
        assertTrue(store.loadVectors(unknown, MODEL_A).isEmpty());
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments"));
        assertEquals(0, store.latestChangeSeq());
    }

    @Test
    void pagesFollowCreationOrderWithoutRepeatsWhenProfilesComeAndGo() {
        List<ProfileId> created = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            created.add(store.createProfile(NewProfile.EMPTY).id());
        }
        ProfilePage first = store.listProfiles(10, null);
        assertEquals(created.subList(0, 10), ids(first));
        // Between pages: one profile of the first page goes, one new profile comes.
        assertTrue(store.deleteProfile(created.get(3)));
        ProfileId late = store.createProfile(NewProfile.EMPTY).id();
        ProfilePage second = store.listProfiles(10, PageCursor.parse(first.next().encode()));
        assertEquals(created.subList(10, 20), ids(second));
        ProfilePage third = store.listProfiles(10, second.next());
        List<ProfileId> expected = new ArrayList<>(created.subList(20, 25));
        expected.add(late);
        assertEquals(expected, ids(third));
        assertTrue(third.nextCursor().isEmpty());
        ProfilePage exact = store.listProfiles(25, null);
        assertEquals(25, exact.profiles().size());
        assertTrue(exact.nextCursor().isEmpty(), "25 profiles fit a page of 25 exactly");
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.listProfiles(0, null)).reason());
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.listProfiles(ProfileStore.MAX_PAGE_SIZE + 1, null)).reason());
    }

    @Test
    void aPageCarriesEachProfilesEnrollmentsAsListedOneByOne() {
        List<ProfileId> created = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ProfileId id = store.createProfile(NewProfile.EMPTY).id();
            created.add(id);
            for (int k = 0; k < i % 4; k++) {
                store.addEnrollments(id, List.of(enrollment(100L * i + k, k % 2 == 0 ? MODEL_A : MODEL_B,
                        3.0 + k, 2.0 + k)));
            }
        }
        int seen = 0;
        int enrollmentsSeen = 0;
        PageCursor cursor = null;
        do {
            ProfilePage page = store.listProfiles(5, cursor);
            for (Profile p : page.profiles()) {
                List<Enrollment> listed = page.enrollmentsOf(p.id());
                assertEquals(store.listEnrollments(p.id()), listed, "page and one-by-one listing agree");
                assertEquals(created.indexOf(p.id()) % 4, listed.size());
                enrollmentsSeen += listed.size();
                seen++;
            }
            cursor = page.next();
        } while (cursor != null);
        assertEquals(12, seen);
        assertEquals(18, enrollmentsSeen, "0+1+2+3 per group of four, three groups");
        ProfilePage any = store.listProfiles(1, null);
        assertThrows(IllegalArgumentException.class, () -> any.enrollmentsOf(created.get(11)),
                "a profile not on the page is refused, not answered empty");
    }

    @Test
    void profilesCreatedInTheSameMicrosecondArePagedInTheOrderOfTheirIds() {
        Clock frozen = Clock.fixed(Instant.parse("2026-11-27T12:00:00.123456Z"), ZoneOffset.UTC);
        JdbcProfileStore sameInstant = new JdbcProfileStore(dataSource, frozen);
        List<ProfileId> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(sameInstant.createProfile(NewProfile.EMPTY).id());
        }
        Collections.sort(ids);
        assertTrue(ids.stream().anyMatch(id -> id.value().getMostSignificantBits() < 0)
                && ids.stream().anyMatch(id -> id.value().getMostSignificantBits() > 0),
                "ids on both sides of the sign bit, where UUID.compareTo and the databases disagree");
        List<ProfileId> paged = new ArrayList<>();
        PageCursor cursor = null;
        do {
            ProfilePage page = store.listProfiles(7, cursor);
            paged.addAll(ids(page));
            cursor = page.next();
        } while (cursor != null);
        assertEquals(ids, paged);
    }

    @Test
    void externalIdsAreLookedUpTogether() {
        Profile a = store.createProfile(new NewProfile("alice", null));
        Profile b = store.createProfile(new NewProfile("bob", null));
        store.createProfile(new NewProfile("carol", null));
        Map<String, ProfileId> found = store.profileIdsByExternalIds(List.of("alice", "bob", "dave", "alice"));
        assertEquals(Map.of("alice", a.id(), "bob", b.id()), found);
        assertEquals(Map.of(), store.profileIdsByExternalIds(List.of()));
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.profileIdsByExternalIds(Collections.nCopies(1001, "x"))).reason());
        assertTrue(store.profileByExternalId("dave").isEmpty());
    }

    // ---- enrollments

    @Test
    void enrollmentsStoreUnitLengthLittleEndianFloat32AndTheirNumbers() throws SQLException {
        Profile p = store.createProfile(NewProfile.EMPTY);
        float[] raw = vector(7, DIMENSION);
        List<Enrollment> stored = store.addEnrollments(p.id(), List.of(NewEnrollment.of(MODEL_A, raw, 12.5, 9.75)));
        Enrollment e = store.listEnrollments(p.id()).get(0);
        assertEquals(stored.get(0), e);
        assertEquals(MODEL_A, e.modelIdentity());
        assertEquals(12.5, e.durationSeconds());
        assertEquals(9.75, e.speechSeconds());

        float[] unit = UnitVectors.unitLength(raw, DIMENSION, "expected");
        ProfileVectors vectors = store.loadVectors(p.id(), MODEL_A).orElseThrow();
        assertArrayEquals(unit, vectors.unitEmbeddings().get(0), "read back bit for bit");
        double norm = 0;
        for (float v : vectors.unitEmbeddings().get(0)) {
            norm += (double) v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-6);

        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT embedding, dimension, model_identity FROM enrollments")) {
            try (ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next());
                byte[] bytes = rs.getBytes(1);
                assertEquals(4 * DIMENSION, bytes.length);
                ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < DIMENSION; i++) {
                    assertEquals(Float.floatToRawIntBits(unit[i]), Float.floatToRawIntBits(le.getFloat()), "value " + i);
                }
                assertEquals(DIMENSION, rs.getInt(2));
                assertEquals(MODEL_A.key(), rs.getString(3));
            }
        }
    }

    @Test
    void profileVectorIsTheUnitMeanOfTheStoredUnitEmbeddings() {
        Profile p = store.createProfile(NewProfile.EMPTY);
        List<float[]> raw = List.of(vector(1, DIMENSION), vector(2, DIMENSION), vector(3, DIMENSION));
        List<NewEnrollment> batch = new ArrayList<>();
        for (float[] v : raw) {
            batch.add(NewEnrollment.of(MODEL_A, v, 8, 7.5));
        }
        store.addEnrollments(p.id(), batch);
        ProfileVectors vectors = store.loadVectors(p.id(), MODEL_A).orElseThrow();
        assertEquals(22.5, vectors.speechSeconds(), 1e-12);
        float[] expected = ProfileScoring.profileVector(raw);
        assertArrayEquals(expected, vectors.profileVector(), 1e-7f);
        assertEquals(ProfileState.ENROLLED, EnrollmentPolicy.DEFAULT.status(
                store.listEnrollments(p.id()).stream().map(Enrollment::summary).toList(), MODEL_A).state());
        assertEquals(ProfileState.NEEDS_REENROLLMENT, EnrollmentPolicy.DEFAULT.status(
                store.listEnrollments(p.id()).stream().map(Enrollment::summary).toList(), MODEL_B).state());
    }

    @Test
    void invalidEmbeddingsAndDurationsAreRefusedBeforeStoring() {
        float[] nan = vector(1, DIMENSION);
        nan[5] = Float.NaN;
        assertEquals(Reason.INVALID_EMBEDDING, assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, nan, 3, 2)).reason());
        assertEquals(Reason.INVALID_EMBEDDING, assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, new float[DIMENSION], 3, 2)).reason());
        InvalidProfileInputException wrongDimension = assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, vector(1, 256), 3, 2));
        assertEquals(Reason.INVALID_EMBEDDING, wrongDimension.reason());
        assertTrue(wrongDimension.getMessage().contains("256 values, expected 192"), wrongDimension.getMessage());
        assertEquals(Reason.INVALID_DURATION, assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, vector(1, DIMENSION), 3, 4)).reason());
        assertEquals(Reason.INVALID_DURATION, assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, vector(1, DIMENSION), Double.NaN, 0)).reason());
        assertEquals(Reason.INVALID_DURATION, assertThrows(InvalidProfileInputException.class,
                () -> NewEnrollment.of(MODEL_A, vector(1, DIMENSION), 3, -1)).reason());
        Profile p = store.createProfile(NewProfile.EMPTY);
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.addEnrollments(p.id(), List.of())).reason());
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.addEnrollments(p.id(), Collections.nCopies(101, enrollment(1)))).reason());
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments"));
    }

    @Test
    void aBatchTheDatabaseRefusesHalfwayLeavesNothingAndNamesNoValue() throws SQLException {
        Profile p = store.createProfile(NewProfile.EMPTY);
        long seqBefore = store.latestChangeSeq();
        // A constraint only this test adds, so that the database itself refuses the batch's third row.
        execute("ALTER TABLE enrollments ADD CONSTRAINT test_refuses_7_25 CHECK (speech_seconds <> 7.25)");
        try {
            List<NewEnrollment> batch = List.of(enrollment(1, MODEL_A, 9, 8), enrollment(2, MODEL_A, 9, 8),
                    enrollment(3, MODEL_A, 9, 7.25), enrollment(4, MODEL_A, 9, 8));
            ProfileStoreFailureException e = assertThrows(ProfileStoreFailureException.class,
                    () -> store.addEnrollments(p.id(), batch));
            assertTrue(e.getMessage().contains("SQLState 23"), e.getMessage());
            assertNoTraceOf(e, "7.25");
            assertNoTraceOf(e, "Failing row");
        } finally {
            execute("ALTER TABLE enrollments DROP CONSTRAINT test_refuses_7_25");
        }
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments"));
        assertEquals(seqBefore, store.latestChangeSeq());
        assertEquals(p.updatedAt(), store.profile(p.id()).orElseThrow().updatedAt(), "the profile row is unchanged");
    }

    @Test
    void oneEnrollmentOrAllOfThemAreDeleted() {
        Profile p = store.createProfile(NewProfile.EMPTY);
        Profile other = store.createProfile(NewProfile.EMPTY);
        List<Enrollment> stored = store.addEnrollments(p.id(),
                List.of(enrollment(1), enrollment(2), enrollment(3)));
        Enrollment otherOne = store.addEnrollments(other.id(), List.of(enrollment(4))).get(0);

        assertFalse(store.deleteEnrollment(p.id(), otherOne.id()), "another profile's enrollment");
        assertFalse(store.deleteEnrollment(p.id(), EnrollmentId.random()));
        assertTrue(store.deleteEnrollment(p.id(), stored.get(1).id()));
        // One batch shares one creation time: listed by id among themselves.
        List<Enrollment> left = new ArrayList<>(List.of(stored.get(0), stored.get(2)));
        left.sort(java.util.Comparator.comparing(Enrollment::id));
        assertEquals(left, store.listEnrollments(p.id()));
        assertEquals(2, store.loadVectors(p.id(), MODEL_A).orElseThrow().unitEmbeddings().size());

        assertEquals(2, store.deleteEnrollments(p.id()));
        assertEquals(List.of(), store.listEnrollments(p.id()));
        assertTrue(store.profile(p.id()).isPresent(), "a reset keeps the profile");
        assertTrue(store.loadVectors(p.id(), MODEL_A).isEmpty());
        assertEquals(0, store.deleteEnrollments(p.id()));
        assertEquals(List.of(otherOne), store.listEnrollments(other.id()));
    }

    @Test
    void deletingAProfileLeavesNoRowHoldingItsVectors() throws SQLException {
        Profile p = store.createProfile(new NewProfile(EXTERNAL_ID, "{\"k\":\"v\"}"));
        Profile kept = store.createProfile(NewProfile.EMPTY);
        List<float[]> deletedUnits = new ArrayList<>();
        List<NewEnrollment> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            NewEnrollment e = enrollment(100 + i, i % 2 == 0 ? MODEL_A : MODEL_B, 10, 9);
            batch.add(e);
            deletedUnits.add(e.unitEmbedding());
        }
        store.addEnrollments(p.id(), batch);
        float[] keptUnit = enrollment(999).unitEmbedding();
        store.addEnrollments(kept.id(), List.of(enrollment(999)));
        assertTrue(containsAnywhere(keptUnit), "the scan finds a vector that is there");
        for (float[] unit : deletedUnits) {
            assertTrue(containsAnywhere(unit), "before the delete");
        }

        assertTrue(store.deleteProfile(p.id()));

        for (float[] unit : deletedUnits) {
            assertFalse(containsAnywhere(unit), "a row still holds a deleted profile's vector");
        }
        assertTrue(containsAnywhere(keptUnit), "the other profile keeps its vector");
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments WHERE profile_id = ?", p.id().value()));
        assertEquals(0, count("SELECT COUNT(*) FROM profiles WHERE external_id = ?", EXTERNAL_ID));
        assertTrue(store.profile(p.id()).isEmpty());
        assertTrue(store.profileByExternalId(EXTERNAL_ID).isEmpty());
        assertFalse(store.deleteProfile(p.id()));
    }

    @Test
    void twentyConcurrentEnrollmentsIntoOneProfileAreAllStored() throws Exception {
        Profile p = store.createProfile(NewProfile.EMPTY);
        int threads = 20;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Enrollment>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 1000 + t;
                results.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return store.addEnrollments(p.id(), List.of(enrollment(seed))).get(0);
                }));
            }
            Set<EnrollmentId> ids = new HashSet<>();
            for (Future<Enrollment> r : results) {
                ids.add(r.get(120, TimeUnit.SECONDS).id());
            }
            assertEquals(threads, ids.size());
        } finally {
            pool.shutdownNow();
        }
        List<Enrollment> listed = store.listEnrollments(p.id());
        assertEquals(20, listed.size());
        assertEquals(20, store.loadVectors(p.id(), MODEL_A).orElseThrow().unitEmbeddings().size());
        assertEquals(20 * 10.25, store.loadVectors(p.id(), MODEL_A).orElseThrow().speechSeconds(), 1e-9);
        ProfileChanges changes = store.changesSince(0, 100);
        assertEquals(21, changes.changes().size());
        for (int i = 0; i < 21; i++) {
            assertEquals(i + 1, changes.changes().get(i).seq(), "seqs without gaps");
        }
        assertEquals(20, changes.changes().stream().filter(c -> c.kind() == ChangeKind.ENROLLED).count());
    }

    @Test
    void racingDeleteAndEnrollNeverLeaveAnEnrollmentWithoutItsProfile() throws Exception {
        int rounds = 25;
        int enrollers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(enrollers + 1);
        int stored = 0;
        int refused = 0;
        try {
            for (int round = 0; round < rounds; round++) {
                ProfileId id = store.createProfile(NewProfile.EMPTY).id();
                CyclicBarrier start = new CyclicBarrier(enrollers + 1);
                List<Future<Boolean>> enrolls = new ArrayList<>();
                for (int t = 0; t < enrollers; t++) {
                    long seed = round * 100L + t;
                    enrolls.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        try {
                            store.addEnrollments(id, List.of(enrollment(seed), enrollment(seed + 50)));
                            return true;
                        } catch (ProfileNotFoundException e) {
                            return false;
                        }
                    }));
                }
                Future<Boolean> delete = pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return store.deleteProfile(id);
                });
                assertTrue(delete.get(60, TimeUnit.SECONDS));
                for (Future<Boolean> f : enrolls) {
                    if (f.get(60, TimeUnit.SECONDS)) {
                        stored++;
                    } else {
                        refused++;
                    }
                }
                assertEquals(0, count("SELECT COUNT(*) FROM enrollments WHERE profile_id = ?", id.value()),
                        "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments e WHERE NOT EXISTS "
                + "(SELECT 1 FROM profiles p WHERE p.id = e.profile_id)"));
        assertEquals(0, count("SELECT COUNT(*) FROM enrollments"));
        assertEquals(rounds * enrollers, stored + refused);
    }

    // ---- the index load

    @Test
    void indexLoadStreamsEachProfileOfOneModelOnceInIdOrder() {
        int profiles = 80;
        int perProfile = 20;
        assertTrue(profiles * perProfile * 3 / 4 > VectorQueries.FETCH_SIZE, "more rows than one fetch");
        List<ProfileId> ids = new ArrayList<>();
        for (int i = 0; i < profiles; i++) {
            ProfileId id = store.createProfile(NewProfile.EMPTY).id();
            ids.add(id);
            List<NewEnrollment> batch = new ArrayList<>();
            for (int j = 0; j < perProfile; j++) {
                batch.add(enrollment(i * 1000L + j, j % 4 == 3 ? MODEL_B : MODEL_A, 30, 0.5 + j));
            }
            store.addEnrollments(id, batch);
        }
        ProfileId onlyB = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(onlyB, List.of(enrollment(5, MODEL_B, 5, 4)));

        assertEquals(profiles, store.countProfilesWithVectors(MODEL_A), "the count a load reserves for");
        assertEquals(profiles + 1, store.countProfilesWithVectors(MODEL_B));
        List<ProfileVectors> seen = new ArrayList<>();
        assertEquals(profiles, store.forEachProfileVectors(MODEL_A, seen::add));
        Collections.sort(ids);
        assertEquals(ids, seen.stream().map(ProfileVectors::profileId).toList());
        double expectedSpeech = 0;
        for (int j = 0; j < perProfile; j++) {
            expectedSpeech += j % 4 == 3 ? 0 : 0.5 + j;
        }
        for (ProfileVectors v : seen) {
            assertEquals(15, v.unitEmbeddings().size());
            assertEquals(expectedSpeech, v.speechSeconds(), 1e-9);
            assertArrayEquals(store.loadVectors(v.profileId(), MODEL_A).orElseThrow().profileVector(),
                    v.profileVector());
        }
        List<ProfileId> withB = new ArrayList<>();
        assertEquals(profiles + 1, store.forEachProfileVectors(MODEL_B, v -> withB.add(v.profileId())));
        assertTrue(withB.contains(onlyB));
        IllegalStateException stop = assertThrows(IllegalStateException.class,
                () -> store.forEachProfileVectors(MODEL_A, v -> {
                    throw new IllegalStateException("consumer stops");
                }));
        assertEquals("consumer stops", stop.getMessage());
    }

    @Test
    void otherModelsEnrollmentsAreCountedPerProfileSet() {
        ProfileId mixed = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(mixed, List.of(enrollment(1, MODEL_A, 5, 4), enrollment(2, MODEL_B, 5, 4),
                enrollment(3, MODEL_B, 5, 4)));
        ProfileId onlyB = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(onlyB, List.of(enrollment(4, MODEL_B, 5, 4)));
        ProfileId onlyA = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(onlyA, List.of(enrollment(5, MODEL_A, 5, 4)));
        ProfileId empty = store.createProfile(NewProfile.EMPTY).id();

        assertEquals(new OtherModelEnrollments(3, 1), store.otherModelEnrollments(MODEL_A, null));
        assertEquals(new OtherModelEnrollments(2, 1), store.otherModelEnrollments(MODEL_B, null));
        assertEquals(new OtherModelEnrollments(2, 0), store.otherModelEnrollments(MODEL_A, List.of(mixed, onlyA)));
        assertEquals(new OtherModelEnrollments(1, 1), store.otherModelEnrollments(MODEL_A,
                List.of(onlyB, onlyB, empty, ProfileId.random())));
        assertEquals(OtherModelEnrollments.NONE, store.otherModelEnrollments(MODEL_A, List.of()));
        List<ProfileId> tooMany = new ArrayList<>();
        for (int i = 0; i <= ProfileStore.MAX_EXTERNAL_ID_LOOKUP; i++) {
            tooMany.add(ProfileId.random());
        }
        assertThrows(InvalidProfileInputException.class, () -> store.otherModelEnrollments(MODEL_A, tooMany));
    }

    // ---- profiles by state

    @Test
    void profilesAreCountedByStateExactlyAsThePolicyClassifiesThem() {
        EnrollmentPolicy policy = EnrollmentPolicy.DEFAULT;
        assertEquals(ProfileStateCounts.NONE, store.countProfilesByState(MODEL_A, policy.minSpeechSeconds()),
                "no profiles");
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(0, 0, 0), new ProfileStateCounts(0, 0, 0));

        store.createProfile(NewProfile.EMPTY);
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(0, 1, 0), new ProfileStateCounts(0, 1, 0));

        ProfileId onlyB = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(onlyB, List.of(enrollment(1, MODEL_B, 30, 25), enrollment(2, MODEL_B, 30, 25)));
        // Only other-model enrollments: needs re-enrollment under A, enrolled under B.
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(0, 1, 1), new ProfileStateCounts(1, 1, 0));

        ProfileId below = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(below, List.of(enrollment(3, MODEL_A, 15, 12.5), enrollment(4, MODEL_A, 10, 7.49)));
        ProfileId at = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(at, List.of(enrollment(5, MODEL_A, 15, 12.5), enrollment(6, MODEL_A, 10, 7.5)));
        // Within the policy's epsilon of the minimum counts as reaching it; ten times the epsilon short does not.
        ProfileId withinEpsilon = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(withinEpsilon, List.of(enrollment(7, MODEL_A, 25, 20 - 5e-7)));
        ProfileId outsideEpsilon = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(outsideEpsilon, List.of(enrollment(8, MODEL_A, 25, 20 - 1e-5)));
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(2, 3, 1), new ProfileStateCounts(1, 1, 4));

        // Mixed: enough under A beside B's; too little under A beside enough under B.
        ProfileId mixedEnough = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(mixedEnough, List.of(enrollment(9, MODEL_A, 25, 21), enrollment(10, MODEL_B, 5, 4)));
        ProfileId mixedShort = store.createProfile(NewProfile.EMPTY).id();
        store.addEnrollments(mixedShort, List.of(enrollment(11, MODEL_A, 5, 4), enrollment(12, MODEL_B, 25, 21)));
        // Many small enrollments that add up to the minimum, whatever the order of the sum.
        ProfileId manySmall = store.createProfile(NewProfile.EMPTY).id();
        List<NewEnrollment> tenths = new ArrayList<>();
        for (int i = 0; i < ProfileStore.MAX_ENROLLMENTS_PER_BATCH; i++) {
            tenths.add(enrollment(100 + i, MODEL_A, 0.5, 0.2));
        }
        store.addEnrollments(manySmall, tenths);
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(4, 4, 1), new ProfileStateCounts(2, 2, 5));

        // Another minimum: 0 s makes any enrollment of the model enough, never an empty profile.
        assertCountsMatchThePolicy(new EnrollmentPolicy(0, 1), new ProfileStateCounts(7, 1, 1),
                new ProfileStateCounts(3, 1, 5));
        // A reset profile is enrolling again; a deleted one is no longer counted.
        store.deleteEnrollments(at);
        store.deleteProfile(onlyB);
        assertCountsMatchThePolicy(policy, new ProfileStateCounts(3, 5, 0), new ProfileStateCounts(1, 3, 4));
        assertThrows(InvalidProfileInputException.class, () -> store.countProfilesByState(MODEL_A, -1));
        assertThrows(InvalidProfileInputException.class, () -> store.countProfilesByState(MODEL_A, Double.NaN));
    }

    /** The store's counts for A and B equal the expected ones and the policy's classification of every profile. */
    private void assertCountsMatchThePolicy(EnrollmentPolicy policy, ProfileStateCounts expectedA,
                                            ProfileStateCounts expectedB) {
        for (var model : List.of(MODEL_A, MODEL_B)) {
            long[] byPolicy = new long[ProfileState.values().length];
            PageCursor after = null;
            do {
                ProfilePage page = store.listProfiles(ProfileStore.MAX_PAGE_SIZE, after);
                for (Profile p : page.profiles()) {
                    byPolicy[policy.status(store.listEnrollments(p.id()).stream().map(Enrollment::summary)
                            .toList(), model).state().ordinal()]++;
                }
                after = page.next();
            } while (after != null);
            ProfileStateCounts counted = store.countProfilesByState(model, policy.minSpeechSeconds());
            for (ProfileState state : ProfileState.values()) {
                assertEquals(byPolicy[state.ordinal()], counted.of(state), state + " under " + model.commit());
            }
            assertEquals(model.equals(MODEL_A) ? expectedA : expectedB, counted, "under " + model.commit());
        }
    }

    // ---- the change log

    @Test
    void changeLogRecordsEveryWriteInOrder() {
        ProfileId a = store.createProfile(NewProfile.EMPTY).id();
        ProfileId b = store.createProfile(NewProfile.EMPTY).id();
        Enrollment e = store.addEnrollments(a, List.of(enrollment(1), enrollment(2))).get(0);
        store.deleteEnrollment(a, e.id());
        store.deleteEnrollments(a);
        store.deleteProfile(b);
        store.deleteEnrollment(a, EnrollmentId.random());
        store.deleteEnrollments(a);
        store.deleteProfile(b);

        ProfileChanges all = store.changesSince(0, 100);
        assertEquals(List.of(ChangeKind.CREATED, ChangeKind.CREATED, ChangeKind.ENROLLED,
                ChangeKind.ENROLLMENT_DELETED, ChangeKind.RESET, ChangeKind.DELETED),
                all.changes().stream().map(ProfileChange::kind).toList(), "writes that changed nothing add none");
        assertEquals(List.of(a, b, a, a, a, b), all.changes().stream().map(ProfileChange::profileId).toList());
        assertEquals(6, all.latestSeq());
        assertEquals(6, store.latestChangeSeq());

        ProfileChanges tail = store.changesSince(4, 1);
        assertEquals(1, tail.changes().size());
        assertEquals(5, tail.changes().get(0).seq());
        assertEquals(5, tail.nextAfterSeq(4));
        ProfileChanges none = store.changesSince(6, 10);
        assertEquals(List.of(), none.changes());
        assertEquals(6, none.nextAfterSeq(6));
        assertFalse(none.reloadNeeded());
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.changesSince(-1, 10)).reason());
        assertEquals(Reason.OUT_OF_RANGE, assertThrows(InvalidProfileInputException.class,
                () -> store.changesSince(0, 0)).reason());
    }

    @Test
    void aReplicaBehindPrunedChangesIsToldToReload() {
        for (int i = 0; i < 5; i++) {
            store.createProfile(NewProfile.EMPTY);
        }
        List<ProfileChange> changes = store.changesSince(0, 10).changes();
        Instant cut = changes.get(3).changedAt();
        assertEquals(3, store.pruneChanges(cut));
        assertTrue(store.changesSince(0, 10).reloadNeeded());
        assertTrue(store.changesSince(2, 10).reloadNeeded());
        ProfileChanges fromThree = store.changesSince(3, 10);
        assertFalse(fromThree.reloadNeeded());
        assertEquals(List.of(4L, 5L), fromThree.changes().stream().map(ProfileChange::seq).toList());
        assertEquals(0, store.pruneChanges(cut));
        store.createProfile(NewProfile.EMPTY);
        assertEquals(6, store.latestChangeSeq(), "pruning never reuses a seq");
    }

    @Test
    void aPollerRacingWritersNeverMissesAChange() throws Exception {
        int writers = 6;
        int perWriter = 25;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        AtomicBoolean writing = new AtomicBoolean(true);
        Set<Long> seen = Collections.synchronizedSet(new HashSet<>());
        ConcurrentLinkedQueue<ProfileId> written = new ConcurrentLinkedQueue<>();
        Set<ProfileId> polledIds = new HashSet<>();
        long after = 0;
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        ProfileId id = store.createProfile(NewProfile.EMPTY).id();
                        store.addEnrollments(id, List.of(enrollment(i)));
                        written.add(id);
                    }
                    return null;
                }));
            }
            while (writing.get()) {
                ProfileChanges batch = store.changesSince(after, 7);
                for (ProfileChange c : batch.changes()) {
                    assertTrue(seen.add(c.seq()), "seq " + c.seq() + " twice");
                    assertEquals(after + 1, c.seq(), "the poll skipped a seq");
                    after = c.seq();
                    polledIds.add(c.profileId());
                }
                writing.set(futures.stream().anyMatch(f -> !f.isDone()));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            ProfileChanges rest;
            do {
                rest = store.changesSince(after, 50);
                for (ProfileChange c : rest.changes()) {
                    assertEquals(after + 1, c.seq());
                    after = c.seq();
                    polledIds.add(c.profileId());
                }
            } while (!rest.changes().isEmpty());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2L * writers * perWriter, after);
        assertEquals(new HashSet<>(written), polledIds);
    }

    // ---- faults

    @Test
    void anUnreachableDatabaseIsUnavailableNotAFailure() throws Exception {
        DataSource unreachable = unreachableDataSource();
        JdbcProfileStore down = new JdbcProfileStore(unreachable);
        ProfileStoreUnavailableException create = assertThrows(ProfileStoreUnavailableException.class,
                () -> down.createProfile(new NewProfile(EXTERNAL_ID, null)));
        assertTrue(create.getMessage().startsWith("could not create a profile: the profile database is unavailable"),
                create.getMessage());
        assertNoTraceOf(create, EXTERNAL_ID);
        assertThrows(ProfileStoreUnavailableException.class, () -> down.listProfiles(10, null));
        assertThrows(ProfileStoreUnavailableException.class,
                () -> down.addEnrollments(ProfileId.random(), List.of(enrollment(1))));
        assertThrows(ProfileStoreUnavailableException.class, () -> down.changesSince(0, 10));
        assertThrows(ProfileStoreUnavailableException.class, () -> ProfileSchema.migrate(unreachable));
    }

    // ---- helpers

    /** Asserts that neither the exception nor anything attached to it mentions {@code text}. */
    static void assertNoTraceOf(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(text), t.getClass() + ": " + t.getMessage());
            assertFalse(String.valueOf(t).contains(text), String.valueOf(t));
            if (t instanceof SQLException sql) {
                for (SQLException n = sql.getNextException(); n != null; n = n.getNextException()) {
                    assertFalse(String.valueOf(n.getMessage()).contains(text), String.valueOf(n.getMessage()));
                }
            }
            for (Throwable s : t.getSuppressed()) {
                assertNoTraceOf(s, text);
            }
            if (t.getCause() == t) {
                break;
            }
        }
    }

    private static List<ProfileId> ids(ProfilePage page) {
        return page.profiles().stream().map(Profile::id).toList();
    }

    protected long count(String sql, Object... parameters) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            return fail(e);
        }
    }

    protected void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The schema's tables as this database names them: the store's and Flyway's history. */
    protected abstract List<String> tablesOfThisSchema(DatabaseMetaData metaData) throws SQLException;

    /**
     * Whether any column of any row of any table in the schema holds {@code unit}'s first 16 values as
     * little-endian float32 (binary columns) or their text (text columns). 64 bytes of a random unit vector
     * cannot occur by chance.
     */
    private boolean containsAnywhere(float[] unit) throws SQLException {
        byte[] needle = java.util.Arrays.copyOf(EmbeddingCodec.encode(unit), 64);
        String textNeedle = Float.toString(unit[0]);
        try (Connection c = dataSource.getConnection()) {
            List<String> tables = tablesOfThisSchema(c.getMetaData());
            assertTrue(tables.size() >= 5, "tables found: " + tables);
            for (String table : tables) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        for (int col = 1; col <= md.getColumnCount(); col++) {
                            Object value = rs.getObject(col);
                            if (value instanceof byte[] bytes && indexOf(bytes, needle) >= 0) {
                                return true;
                            }
                            if (value instanceof String text && text.contains(textNeedle)) {
                                return true;
                            }
                        }
                    }
                }
            }
        }
        return false;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
