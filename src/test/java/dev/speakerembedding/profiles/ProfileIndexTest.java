package dev.speakerembedding.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.inference.SpeakerVerification;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProfileIndexTest {

    private static final int DIM = 192;
    /** Rows are stored as float32 unit vectors; the naive reference scores the raw vectors in double. */
    private static final double FLOAT32_TOLERANCE = 1e-6;

    private final ExecutorService executor = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopExecutor() throws InterruptedException {
        executor.shutdownNow();
        assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    }

    @Test
    void everyScoreEqualsANaivePerRowCosine() {
        Random random = new Random(11);
        Map<String, float[]> vectors = randomProfiles(random, 3000);
        ProfileIndex<String> index = new ProfileIndex<>(DIM);
        index.putAll(vectors);
        float[] probe = ProfileScoringTest.gaussian(random, DIM);

        IndexSearchResult<String> all = index.search(probe, vectors.size());
        assertEquals(3000, all.profilesScored());
        assertEquals(3000, all.matches().size());
        Set<String> seen = new HashSet<>();
        for (ProfileMatch<String> m : all.matches()) {
            assertFalse(Double.isNaN(m.score()), m.id());
            assertEquals(SpeakerVerification.cosine(vectors.get(m.id()), probe), m.score(), FLOAT32_TOLERANCE, m.id());
            assertEquals(ProfileScoring.verify(vectors.get(m.id()), probe, 0).score(), m.score(), 0.0,
                    "identify and verify give the same number");
            assertTrue(seen.add(m.id()), "each profile once");
        }
    }

    @Test
    void theTopKAreTheNaiveTopKBestFirst() {
        Random random = new Random(12);
        Map<String, float[]> vectors = randomProfiles(random, 5000);
        ProfileIndex<String> index = new ProfileIndex<>(DIM);
        index.putAll(vectors);
        for (int trial = 0; trial < 5; trial++) {
            float[] probe = ProfileScoringTest.gaussian(random, DIM);
            List<String> naive = vectors.keySet().stream()
                    .sorted(Comparator.comparingDouble((String id) -> -SpeakerVerification.cosine(vectors.get(id), probe)))
                    .limit(10).toList();
            List<ProfileMatch<String>> top = index.search(probe, 10).matches();
            assertEquals(naive, top.stream().map(ProfileMatch::id).toList());
            for (int i = 1; i < top.size(); i++) {
                assertTrue(top.get(i - 1).score() > top.get(i).score(), "strictly decreasing on random data");
            }
        }
    }

    @Test
    void equalScoresAreOrderedById() {
        ProfileIndex<String> index = new ProfileIndex<>(3);
        for (String id : List.of("c", "a", "d", "b")) {
            index.put(id, new float[] {1, 2, 3});
        }
        index.put("z", new float[] {3, 2, 1});
        List<ProfileMatch<String>> top = index.search(new float[] {1, 2, 3}, 3).matches();
        assertEquals(List.of("a", "b", "c"), top.stream().map(ProfileMatch::id).toList());
        assertEquals(1.0, top.get(0).score(), 1e-7);
        assertEquals(top.get(0).score(), top.get(2).score());
    }

    @Test
    void topIsBoundedByTheProfilesScored() {
        ProfileIndex<Integer> index = new ProfileIndex<>(2);
        assertEquals(List.of(), index.search(new float[] {1, 0}, 5).matches());
        index.put(1, new float[] {1, 0});
        index.put(2, new float[] {0, 1});
        IndexSearchResult<Integer> r = index.search(new float[] {1, 1}, 50);
        assertEquals(2, r.matches().size());
        assertEquals(2, r.profilesScored());
        assertEquals(List.of(1, 2), r.matches().stream().map(ProfileMatch::id).toList());
        assertEquals(Math.sqrt(0.5), r.matches().get(0).score(), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {1, 1}, 0));
        assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {1, 1}, -3));
    }

    @Test
    void candidatesLimitTheSearchAndUnknownOnesAreIgnored() {
        Random random = new Random(13);
        Map<String, float[]> vectors = randomProfiles(random, 500);
        ProfileIndex<String> index = new ProfileIndex<>(DIM);
        index.putAll(vectors);
        float[] probe = vectors.get("p7").clone();
        List<String> candidates = List.of("p3", "p9", "p3", "nobody", "p42");
        IndexSearchResult<String> r = index.search(probe, 5, candidates);
        assertEquals(3, r.profilesScored(), "p3 once, nobody not at all");
        assertEquals(Set.of("p3", "p9", "p42"), Set.copyOf(r.matches().stream().map(ProfileMatch::id).toList()));
        for (ProfileMatch<String> m : r.matches()) {
            assertEquals(SpeakerVerification.cosine(vectors.get(m.id()), probe), m.score(), FLOAT32_TOLERANCE);
        }
        assertEquals("p7", index.search(probe, 1).matches().get(0).id());
        assertEquals(1.0, index.search(probe, 1).matches().get(0).score(), 1e-6);
        assertEquals(List.of(), index.search(probe, 5, List.of("nobody")).matches());
    }

    @Test
    void removedProfilesAreGoneAndTheOthersScoreAsBefore() {
        Random random = new Random(14);
        Map<String, float[]> vectors = randomProfiles(random, 200);
        ProfileIndex<String> index = new ProfileIndex<>(DIM);
        index.putAll(vectors);
        float[] probe = ProfileScoringTest.gaussian(random, DIM);
        Map<String, Double> before = scores(index.search(probe, 200));

        assertTrue(index.remove("p0"));
        assertTrue(index.remove("p100"));
        assertTrue(index.remove("p199"));
        assertFalse(index.remove("p100"));
        assertEquals(197, index.size());
        assertFalse(index.contains("p100"));

        Map<String, Double> after = scores(index.search(probe, 200));
        assertEquals(197, after.size());
        assertFalse(after.containsKey("p0") || after.containsKey("p100") || after.containsKey("p199"));
        after.forEach((id, score) -> assertEquals(before.get(id), score, 0.0, id));

        index.clear();
        assertEquals(0, index.size());
        assertEquals(List.of(), index.search(probe, 3).matches());
    }

    @Test
    void putReplacesAVectorInPlace() {
        ProfileIndex<String> index = new ProfileIndex<>(2);
        assertFalse(index.put("a", new float[] {1, 0}));
        assertFalse(index.put("b", new float[] {0, 1}));
        assertTrue(index.put("a", new float[] {0, -2}));
        assertEquals(2, index.size());
        List<ProfileMatch<String>> r = index.search(new float[] {0, 1}, 2).matches();
        assertEquals("b", r.get(0).id());
        assertEquals(1.0, r.get(0).score(), 1e-7);
        assertEquals(-1.0, r.get(1).score(), 1e-7);
    }

    @Test
    void invalidVectorsAreRefusedAndLeaveTheIndexUnchanged() {
        ProfileIndex<String> index = new ProfileIndex<>(3);
        index.put("a", new float[] {1, 0, 0});
        assertEquals(InvalidVectorException.Reason.DIMENSION_MISMATCH,
                assertThrows(InvalidVectorException.class, () -> index.put("b", new float[] {1, 0})).reason());
        Map<String, float[]> batch = new LinkedHashMap<>();
        batch.put("c", new float[] {0, 1, 0});
        batch.put("d", new float[] {0, Float.NaN, 0});
        assertEquals(InvalidVectorException.Reason.NOT_FINITE,
                assertThrows(InvalidVectorException.class, () -> index.putAll(batch)).reason());
        assertEquals(1, index.size());
        assertFalse(index.contains("c"));
        assertEquals(InvalidVectorException.Reason.ZERO_VECTOR,
                assertThrows(InvalidVectorException.class, () -> index.search(new float[3], 1)).reason());
        assertEquals(InvalidVectorException.Reason.DIMENSION_MISMATCH,
                assertThrows(InvalidVectorException.class, () -> index.search(new float[4], 1)).reason());
        assertEquals(InvalidVectorException.Reason.NOT_FINITE, assertThrows(InvalidVectorException.class,
                () -> index.search(new float[] {1, Float.POSITIVE_INFINITY, 0}, 1)).reason());
    }

    @Test
    void theMatrixGrowsByAQuarterAndBulkLoadsExactly() {
        ProfileIndex<Integer> index = new ProfileIndex<>(4);
        Map<Integer, float[]> vectors = new LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            vectors.put(i, new float[] {1, i, 0, 0});
        }
        index.putAll(vectors);
        assertEquals(10_000L * 4 * Float.BYTES, index.matrixBytes());
        index.put(-1, new float[] {0, 0, 0, 1});
        assertEquals(12_500L * 4 * Float.BYTES, index.matrixBytes());
    }

    @Test
    void reserveSizesTheMatrixForALoadOfKnownSize() {
        ProfileIndex<Integer> index = new ProfileIndex<>(4);
        index.reserve(3000);
        assertEquals(3000L * 4 * Float.BYTES, index.matrixBytes());
        for (int batch = 0; batch < 3; batch++) {
            Map<Integer, float[]> vectors = new LinkedHashMap<>();
            for (int i = 0; i < 1000; i++) {
                vectors.put(batch * 1000 + i, new float[] {1, i, batch, 0});
            }
            index.putAll(vectors);
        }
        assertEquals(3000, index.size());
        assertEquals(3000L * 4 * Float.BYTES, index.matrixBytes());
        assertThrows(IllegalArgumentException.class, () -> index.reserve(-1));
    }

    @Test
    void aSplitScanGivesTheSameAnswerAsOneThread() {
        Random random = new Random(15);
        Map<String, float[]> vectors = randomProfiles(random, 4001);
        ProfileIndex<String> single = new ProfileIndex<>(DIM);
        ProfileIndex<String> split = new ProfileIndex<>(DIM, executor, 3, 1);
        single.putAll(vectors);
        split.putAll(vectors);
        for (int trial = 0; trial < 20; trial++) {
            float[] probe = ProfileScoringTest.gaussian(random, DIM);
            assertEquals(single.search(probe, 25), split.search(probe, 25));
        }
    }

    @Test
    void aSplitScanStillAnswersWhenTheExecutorRefuses() {
        ProfileIndex<String> index = new ProfileIndex<>(DIM, task -> {
            throw new java.util.concurrent.RejectedExecutionException("full");
        }, 2, 1);
        Random random = new Random(16);
        Map<String, float[]> vectors = randomProfiles(random, 300);
        index.putAll(vectors);
        assertEquals("p5", index.search(vectors.get("p5"), 1).matches().get(0).id());
    }

    /**
     * Writers keep rewriting and re-adding profiles whose score against the probe is one of two known values
     * ({@link #A_LOW}, {@link #A_HIGH}); a row read half old and half new would score their mean. Readers check
     * every answer: known scores only, sorted, each id once, and the stable profiles always present.
     */
    @Test
    void readersNeverSeeAHalfWrittenRowWhileWritersChurn() throws Exception {
        runChurn(new ProfileIndex<>(DIM));
        runChurn(new ProfileIndex<>(DIM, executor, 2, 1));
    }

    private static final double A_LOW = 0.1;
    private static final double A_HIGH = 0.9;

    private void runChurn(ProfileIndex<String> index) throws Exception {
        float[] probe = new float[DIM];
        Arrays.fill(probe, 1f);
        int stable = 50;
        for (int i = 0; i < stable; i++) {
            index.put("s" + i, churnVector(i % 2 == 0));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong searches = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                int i = 0;
                while (!stop.get() && failure.get() == null) {
                    String churned = "c" + writer + "-" + (i % 40);
                    if (i % 3 == 2) {
                        index.remove(churned);
                    } else {
                        index.put(churned, churnVector(i % 2 == 0));
                    }
                    index.put("s" + (i % stable), churnVector(i % 5 < 2));
                    writes.addAndGet(2);
                    i++;
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(new Thread(() -> {
                try {
                    while (!stop.get()) {
                        checkChurnResult(index.search(probe, 1000), stable);
                        searches.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        threads.forEach(Thread::start);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        while (System.nanoTime() < deadline && failure.get() == null
                && (searches.get() < 2000 || writes.get() < 20_000)) {
            Thread.sleep(20);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("a reader saw an inconsistent answer", failure.get());
        }
        assertTrue(searches.get() >= 100, "searches ran: " + searches.get());
        assertTrue(writes.get() >= 100, "writes ran: " + writes.get());
    }

    private static void checkChurnResult(IndexSearchResult<String> result, int stable) {
        Set<String> ids = new HashSet<>();
        double previous = Double.POSITIVE_INFINITY;
        int stableSeen = 0;
        for (ProfileMatch<String> m : result.matches()) {
            double s = m.score();
            if (!(Math.abs(s - A_LOW) < 1e-5 || Math.abs(s - A_HIGH) < 1e-5)) {
                throw new AssertionError("score " + s + " of " + m.id() + " is neither " + A_LOW + " nor " + A_HIGH);
            }
            if (s > previous) {
                throw new AssertionError("not sorted: " + s + " after " + previous);
            }
            previous = s;
            if (!ids.add(m.id())) {
                throw new AssertionError(m.id() + " twice");
            }
            if (m.id().startsWith("s")) {
                stableSeen++;
            }
        }
        if (stableSeen != stable || result.profilesScored() != result.matches().size()) {
            throw new AssertionError(stableSeen + " of " + stable + " stable profiles, " + result.matches().size()
                    + " matches of " + result.profilesScored() + " scored");
        }
    }

    /**
     * a u + b w, with u the unit all-ones direction (the probe's) and w a unit vector of alternating signs
     * orthogonal to it, also within each half; so its score is a, and half of one version and half of another
     * would score the mean of their a.
     */
    private static float[] churnVector(boolean high) {
        double a = high ? A_HIGH : A_LOW;
        double b = Math.sqrt(1 - a * a);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) ((a + b * (i % 2 == 0 ? 1 : -1)) / Math.sqrt(DIM));
        }
        return v;
    }

    private static Map<String, float[]> randomProfiles(Random random, int count) {
        Map<String, float[]> vectors = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            vectors.put("p" + i, ProfileScoringTest.gaussian(random, DIM));
        }
        return vectors;
    }

    private static Map<String, Double> scores(IndexSearchResult<String> result) {
        Map<String, Double> scores = new LinkedHashMap<>();
        result.matches().forEach(m -> scores.put(m.id(), m.score()));
        return scores;
    }
}
