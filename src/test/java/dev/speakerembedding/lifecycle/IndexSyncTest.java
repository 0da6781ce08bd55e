package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.IndexSearchResult;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.store.EmbeddedDatabase;
import dev.speakerembedding.profiles.store.Enrollment;
import dev.speakerembedding.profiles.store.JdbcProfileStore;
import dev.speakerembedding.profiles.store.NewEnrollment;
import dev.speakerembedding.profiles.store.NewProfile;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfileSchema;
import dev.speakerembedding.profiles.store.ProfileStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link IndexSync} against the embedded H2 store: {@code here} is this replica's store, {@code other} a second
 * {@link JdbcProfileStore} on the same database that plays another replica writing behind this one's back.
 */
class IndexSyncTest {

    private static final int DIMENSION = 192;
    private static final ModelIdentity MODEL = ProfileLifecycle.identity("org/model",
            "0123456789abcdef0123456789abcdef01234567", DIMENSION);
    private static final ModelIdentity OTHER_MODEL = ProfileLifecycle.identity("org/model",
            "89abcdef0123456789abcdef0123456789abcdef", DIMENSION);
    /** 10 s of speech in all: one enrollment of 6 s leaves a profile enrolling, two enroll it. */
    private static final EnrollmentPolicy POLICY = new EnrollmentPolicy(10, 1);

    @TempDir
    Path directory;

    private JdbcConnectionPool pool;
    private JdbcProfileStore here;
    private JdbcProfileStore other;

    @BeforeEach
    void openDatabase() {
        pool = JdbcConnectionPool.create(EmbeddedDatabase.fileUrl(directory), "sa", "");
        ProfileSchema.migrate(pool);
        here = new JdbcProfileStore(pool);
        other = new JdbcProfileStore(pool);
    }

    @AfterEach
    void closeDatabase() {
        pool.dispose();
    }

    private static float[] vector(long seed) {
        Random random = new Random(seed);
        float[] v = new float[DIMENSION];
        for (int i = 0; i < DIMENSION; i++) {
            v[i] = (float) (random.nextGaussian() * 3.0);
        }
        return v;
    }

    private static NewEnrollment sixSeconds(long seed, ModelIdentity model) {
        return NewEnrollment.of(model, vector(seed), 7.0, 6.0);
    }

    /** A profile written by the other replica, enrolled under {@link #MODEL} (two enrollments of 6 s). */
    private ProfileId enrolledElsewhere(long seed) {
        ProfileId id = other.createProfile(NewProfile.EMPTY).id();
        other.addEnrollments(id, List.of(sixSeconds(seed, MODEL), sixSeconds(seed, MODEL)));
        return id;
    }

    /** The score the index gives {@code id} against the vector it was enrolled with (1 when it holds that one). */
    private static double scoreOf(IndexSync sync, ProfileId id, long seed) {
        IndexSearchResult<ProfileId> r = sync.index().search(vector(seed), 1, List.of(id));
        assertEquals(1, r.matches().size(), "profile in the index");
        double score = r.matches().get(0).score();
        assertFalse(Double.isNaN(score));
        return score;
    }

    @Test
    void anotherReplicasEnrollmentsAndDeletionsReachTheIndexAtTheNextPoll() {
        IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC());
        assertEquals(0, sync.loadAll());
        assertEquals(0, sync.index().size());

        ProfileId id = other.createProfile(NewProfile.EMPTY).id();
        Enrollment first = other.addEnrollments(id, List.of(sixSeconds(7, MODEL))).get(0);
        IndexSync.PollResult polled = sync.poll();
        assertEquals(new IndexSync.PollResult(2, 1, false, 2), polled);
        assertFalse(sync.index().contains(id), "6 s of 10: still enrolling, not identified");

        other.addEnrollments(id, List.of(sixSeconds(7, MODEL)));
        other.addEnrollments(enrolledElsewhere(8), List.of(sixSeconds(9, OTHER_MODEL)));
        polled = sync.poll();
        assertEquals(other.latestChangeSeq(), polled.lastSeq());
        assertEquals(2, sync.index().size());
        assertTrue(sync.index().contains(id), "enrolled on the other replica, identified here");
        assertEquals(1.0, scoreOf(sync, id, 7), 1e-6);

        other.deleteEnrollment(id, first.id());
        sync.poll();
        assertFalse(sync.index().contains(id), "back to 6 s: out of the index");

        other.addEnrollments(id, List.of(sixSeconds(7, MODEL)));
        sync.poll();
        assertTrue(sync.index().contains(id));
        assertTrue(other.deleteProfile(id));
        sync.poll();
        assertFalse(sync.index().contains(id), "deleted on the other replica, gone here");
        assertEquals(1, sync.index().size());
        assertEquals(new IndexSync.PollResult(0, 0, false, other.latestChangeSeq()), sync.poll(),
                "nothing new: nothing reloaded");
    }

    @Test
    void aFullLoadFillsTheIndexTheFactoryMakesAndRefusesOneNotEmptyOrOfAnotherDimension() throws Exception {
        ProfileId id = here.createProfile(NewProfile.EMPTY).id();
        here.addEnrollments(id, List.of(sixSeconds(7, MODEL), sixSeconds(7, MODEL)));
        java.util.concurrent.ExecutorService helpers = java.util.concurrent.Executors.newFixedThreadPool(1);
        try {
            List<ProfileIndex<ProfileId>> made = new ArrayList<>();
            IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC(), () -> {
                ProfileIndex<ProfileId> index = new ProfileIndex<>(DIMENSION, helpers, 2);
                made.add(index);
                return index;
            });
            assertEquals(1, sync.loadAll());
            assertEquals(1, made.size());
            assertEquals((long) DIMENSION * Float.BYTES, made.get(0).matrixBytes(),
                    "the matrix reserved once for the profiles counted, not grown a quarter at a time");
            assertTrue(sync.index() == made.get(0), "the server's index is the one the factory made (split scans)");
            assertEquals(1.0, scoreOf(sync, id, 7), 1e-6);
            sync.loadAll();
            assertEquals(2, made.size(), "a full reload builds a new index from the factory");
            assertEquals(0, made.get(0).size(), "and clears the one it replaces");

            IndexSync wrongDimension = new IndexSync(here, MODEL, POLICY, Clock.systemUTC(),
                    () -> new ProfileIndex<>(DIMENSION + 1));
            assertThrows(IllegalStateException.class, wrongDimension::loadAll);
            assertFalse(wrongDimension.loaded());
            IndexSync notEmpty = new IndexSync(here, MODEL, POLICY, Clock.systemUTC(), () -> {
                ProfileIndex<ProfileId> index = new ProfileIndex<>(DIMENSION);
                float[] vector = new float[DIMENSION];
                vector[0] = 1;
                index.put(ProfileId.random(), vector);
                return index;
            });
            assertThrows(IllegalStateException.class, notEmpty::loadAll);
            assertFalse(notEmpty.loaded());
        } finally {
            helpers.shutdownNow();
        }
    }

    @Test
    void aProfileOfAnotherModelOnlyIsNeverIndexed() {
        IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC());
        sync.loadAll();
        ProfileId id = other.createProfile(NewProfile.EMPTY).id();
        other.addEnrollments(id, List.of(sixSeconds(3, OTHER_MODEL), sixSeconds(3, OTHER_MODEL)));
        sync.poll();
        assertFalse(sync.index().contains(id));
        assertEquals(0, sync.index().size());
    }

    @Test
    void aWriteCommittedDuringTheFullLoadIsAppliedByTheNextPoll() {
        List<ProfileId> writtenDuringLoad = new ArrayList<>();
        ProfileStore racing = intercept(here, (method, args) -> {
            if (method.equals("forEachProfileVectors") && writtenDuringLoad.isEmpty()) {
                writtenDuringLoad.add(enrolledElsewhere(11));
            }
        });
        ProfileId before = enrolledElsewhere(10);
        IndexSync sync = new IndexSync(racing, MODEL, POLICY, Clock.systemUTC());
        sync.loadAll();
        assertTrue(sync.index().contains(before));
        assertEquals(2, sync.lastSeq(), "the seq read before the load, not the write during it");
        sync.poll();
        assertTrue(sync.index().contains(writtenDuringLoad.get(0)), "not missed");
        assertEquals(1.0, scoreOf(sync, writtenDuringLoad.get(0), 11), 1e-6);
        assertEquals(4, sync.lastSeq());
    }

    @Test
    void whenTheChangesWerePrunedEverythingIsLoadedAgain() {
        ProfileId deletedLater = enrolledElsewhere(20);
        IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC());
        sync.loadAll();
        ProfileIndex<ProfileId> first = sync.index();
        assertTrue(sync.index().contains(deletedLater));

        ProfileId addedLater = enrolledElsewhere(21);
        other.deleteProfile(deletedLater);
        assertEquals(5, other.pruneChanges(Instant.now().plusSeconds(60)));

        IndexSync.PollResult polled = sync.poll();
        assertTrue(polled.reloadedAll());
        assertEquals(other.latestChangeSeq(), polled.lastSeq());
        assertTrue(sync.index().contains(addedLater));
        assertFalse(sync.index().contains(deletedLater));
        assertEquals(1, sync.index().size());
        assertEquals(0, first.size(), "the replaced index is cleared, its vectors zeroed");
        assertFalse(sync.poll().reloadedAll(), "once loaded again, polling goes on from the new seq");
    }

    @Test
    void aBacklogLongerThanOneQueryIsAppliedInOnePoll() {
        IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC(), 3);
        sync.loadAll();
        List<ProfileId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(enrolledElsewhere(30 + i));
        }
        IndexSync.PollResult polled = sync.poll();
        // Queries of 3 changes: [create 1, enroll 1, create 2] [enroll 2, create 3, enroll 3] [create 4, enroll 4,
        // create 5] [enroll 5]; each query reloads its distinct profiles once.
        assertEquals(new IndexSync.PollResult(10, 7, false, 10), polled);
        for (ProfileId id : ids) {
            assertTrue(sync.index().contains(id));
        }
    }

    @Test
    void ownWritesAppliedTwiceDoNoHarm() {
        IndexSync sync = new IndexSync(here, MODEL, POLICY, Clock.systemUTC());
        sync.loadAll();
        ProfileId id = here.createProfile(NewProfile.EMPTY).id();
        here.addEnrollments(id, List.of(sixSeconds(40, MODEL), sixSeconds(40, MODEL)));
        sync.refresh(id);
        assertTrue(sync.index().contains(id), "this server's write is applied at once");
        assertEquals(new IndexSync.PollResult(2, 1, false, 2), sync.poll());
        assertEquals(1, sync.index().size());
        assertEquals(1.0, scoreOf(sync, id, 40), 1e-6);
        here.deleteProfile(id);
        sync.refresh(id);
        sync.poll();
        assertEquals(0, sync.index().size());
    }

    @Test
    void aFailedPollChangesNothingAndTheNextOneCatchesUp() {
        AtomicBoolean databaseGone = new AtomicBoolean();
        ProfileStore flaky = intercept(here, (method, args) -> {
            if (databaseGone.get()) {
                throw new IllegalStateException("the database cannot be reached");
            }
        });
        IndexSync sync = new IndexSync(flaky, MODEL, POLICY, Clock.systemUTC());
        ProfileId kept = enrolledElsewhere(50);
        sync.loadAll();
        ProfileId added = enrolledElsewhere(51);
        databaseGone.set(true);
        assertThrows(IllegalStateException.class, sync::poll);
        assertEquals(2, sync.lastSeq());
        assertTrue(sync.index().contains(kept), "the index serves what it had");
        assertFalse(sync.index().contains(added));
        databaseGone.set(false);
        assertEquals(4, sync.poll().lastSeq());
        assertTrue(sync.index().contains(added));
    }

    @Test
    void oldChangesArePrunedAtMostOnceAnHour() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-27T10:00:00Z"));
        JdbcProfileStore eightDaysAgo = new JdbcProfileStore(pool, Clock.fixed(clock.instant().minus(
                Duration.ofDays(8)), ZoneOffset.UTC));
        eightDaysAgo.createProfile(NewProfile.EMPTY);
        eightDaysAgo.createProfile(NewProfile.EMPTY);
        JdbcProfileStore sixDaysAgo = new JdbcProfileStore(pool, Clock.fixed(clock.instant().minus(
                Duration.ofDays(6)), ZoneOffset.UTC));
        sixDaysAgo.createProfile(NewProfile.EMPTY);
        IndexSync sync = new IndexSync(here, MODEL, POLICY, clock);
        sync.loadAll();

        assertEquals(Optional.of(2), sync.pruneIfDue(), "older than 7 days");
        assertTrue(here.changesSince(0, 10).reloadNeeded());
        assertEquals(1, here.changesSince(2, 10).changes().size(), "the 6-day-old change is kept");
        clock.advance(Duration.ofMinutes(59));
        assertEquals(Optional.empty(), sync.pruneIfDue(), "not within the hour");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(Optional.of(0), sync.pruneIfDue(), "due again after an hour");
        clock.advance(Duration.ofDays(1));
        assertEquals(Optional.of(1), sync.pruneIfDue(), "the 6-day-old change is 7 days old now");
    }

    private interface Before {
        void call(String method, Object[] args);
    }

    /** {@code store}, with {@code before} run before each call. */
    private static ProfileStore intercept(ProfileStore store, Before before) {
        InvocationHandler handler = (proxy, method, args) -> {
            before.call(method.getName(), args);
            try {
                return method.invoke(store, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (ProfileStore) Proxy.newProxyInstance(ProfileStore.class.getClassLoader(),
                new Class<?>[] {ProfileStore.class}, handler);
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
