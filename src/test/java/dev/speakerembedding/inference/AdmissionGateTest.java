package dev.speakerembedding.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdmissionGateTest {

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static AdmissionGate gate(int concurrent, int queued, long timeoutMs) {
        return new AdmissionGate(new AdmissionGate.Settings(concurrent, queued, Duration.ofMillis(timeoutMs)));
    }

    /** Polls until {@code gate} has {@code waiting} requests waiting for a slot, so no test races its set-up. */
    private static void awaitWaiting(AdmissionGate gate, int waiting) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.waiting() != waiting) {
            assertTrue(System.nanoTime() < deadline, "expected " + waiting + " waiting, have " + gate.waiting());
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    /** A task that takes a place and a slot and holds them until {@code release} opens. */
    private Future<Long> holder(AdmissionGate gate, CountDownLatch release) {
        return pool.submit(() -> {
            long t0 = System.nanoTime();
            try (AdmissionGate.Ticket t = gate.admit(); AdmissionGate.Slot s = t.awaitSlot()) {
                long waited = System.nanoTime() - t0;
                release.await();
                return waited;
            }
        });
    }

    @Test
    void admitsUpToConcurrencyPlusQueueAndRefusesTheNextAtOnce() throws Exception {
        AdmissionGate gate = gate(2, 1, 10_000);
        AdmissionGate.Ticket a = gate.admit();
        AdmissionGate.Ticket b = gate.admit();
        AdmissionGate.Ticket c = gate.admit();
        assertEquals(3, gate.admitted());
        long t0 = System.nanoTime();
        SaturatedException e = assertThrows(SaturatedException.class, gate::admit);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 500, "refused without waiting");
        assertEquals(SaturatedException.Reason.QUEUE_FULL, e.reason());
        assertTrue(e.getMessage().contains("all 3 places are taken"), e.getMessage());
        assertTrue(e.retryAfterSeconds() >= 1);
        a.close();
        gate.admit().close();
        b.close();
        c.close();
        assertEquals(0, gate.admitted());
    }

    @Test
    void checkRoomRefusesOnlyWhenEveryPlaceIsTakenAndTakesNone() throws Exception {
        AdmissionGate gate = gate(1, 1, 10_000);
        for (int i = 0; i < 5; i++) {
            gate.checkRoom(); // any number of uploads may arrive meanwhile: checking takes no place
        }
        assertEquals(0, gate.admitted());
        try (AdmissionGate.Ticket waiting = gate.admit(); AdmissionGate.Ticket computing = gate.admit();
             AdmissionGate.Slot slot = computing.awaitSlot()) {
            assertEquals(1, gate.running(), "a ticket without a slot holds no slot");
            SaturatedException e = assertThrows(SaturatedException.class, gate::checkRoom);
            assertEquals(SaturatedException.Reason.QUEUE_FULL, e.reason());
            assertTrue(e.getMessage().contains("all 2 places are taken"), e.getMessage());
        }
        gate.checkRoom();
        assertEquals(0, gate.running());
        assertEquals(0, gate.admitted());
    }

    @Test
    void waitingRequestGetsTheSlotWhenItIsReleased() throws Exception {
        AdmissionGate gate = gate(1, 1, 10_000);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        Future<Long> first = holder(gate, releaseFirst);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.running() == 0) {
            assertTrue(System.nanoTime() < deadline);
            TimeUnit.MILLISECONDS.sleep(2);
        }
        Future<Long> second = holder(gate, new CountDownLatch(0));
        awaitWaiting(gate, 1);
        TimeUnit.MILLISECONDS.sleep(100);
        releaseFirst.countDown();
        first.get(5, TimeUnit.SECONDS);
        long waitedNanos = second.get(5, TimeUnit.SECONDS);
        assertTrue(waitedNanos >= TimeUnit.MILLISECONDS.toNanos(100), "waited for the release: " + waitedNanos);
        assertEquals(0, gate.running());
        assertEquals(0, gate.waiting());
        assertEquals(0, gate.admitted());
    }

    @Test
    void aWaitingRequestGivesUpAfterTheTimeout() throws Exception {
        AdmissionGate gate = gate(1, 4, 150);
        try (AdmissionGate.Ticket held = gate.admit(); AdmissionGate.Slot slot = held.awaitSlot();
             AdmissionGate.Ticket late = gate.admit()) {
            long t0 = System.nanoTime();
            SaturatedException e = assertThrows(SaturatedException.class, late::awaitSlot);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(SaturatedException.Reason.QUEUE_TIMEOUT, e.reason());
            assertTrue(tookMs >= 140 && tookMs < 5_000, "waited about the timeout: " + tookMs + " ms");
            assertEquals(0, gate.waiting());
        }
        assertEquals(0, gate.admitted());
    }

    @Test
    void closingTwiceGivesBackOnce() throws Exception {
        AdmissionGate gate = gate(1, 0, 0);
        AdmissionGate.Ticket t = gate.admit();
        AdmissionGate.Slot s = t.awaitSlot();
        s.close();
        s.close();
        t.close();
        t.close();
        assertEquals(0, gate.admitted());
        try (AdmissionGate.Ticket again = gate.admit(); AdmissionGate.Slot slot = again.awaitSlot()) {
            assertThrows(SaturatedException.class, gate::admit, "still only one place");
        }
    }

    @Test
    void closingTheTicketReleasesAForgottenSlot() throws Exception {
        AdmissionGate gate = gate(1, 1, 50);
        AdmissionGate.Ticket t = gate.admit();
        t.awaitSlot();
        t.close();
        try (AdmissionGate.Ticket next = gate.admit()) {
            next.awaitSlot();
        }
        assertEquals(0, gate.running());
        assertThrows(IllegalStateException.class, t::awaitSlot, "a closed ticket cannot take a slot");
    }

    @Test
    void retryAfterFollowsTheRecentHoldTimeAndStaysBounded() throws Exception {
        AdmissionGate gate = gate(1, 0, 0);
        assertEquals(1, gate.retryAfterSeconds(), "no history: 1 s");
        try (AdmissionGate.Ticket t = gate.admit(); AdmissionGate.Slot s = t.awaitSlot()) {
            TimeUnit.MILLISECONDS.sleep(1_200);
        }
        int seconds = gate.retryAfterSeconds();
        assertTrue(seconds >= 2 && seconds <= AdmissionGate.MAX_RETRY_AFTER_SECONDS, "one 1.2 s hold: " + seconds);
    }

    @Test
    void manyThreadsNeverExceedTheSlots() throws Exception {
        AdmissionGate gate = gate(3, 100, 10_000);
        int threads = 24;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            all.add(pool.submit(() -> {
                start.await();
                for (int k = 0; k < 20; k++) {
                    try (AdmissionGate.Ticket t = gate.admit(); AdmissionGate.Slot s = t.awaitSlot()) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.onSpinWait();
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : all) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertTrue(maxInside.get() <= 3, "at most 3 inside, saw " + maxInside.get());
        assertEquals(0, gate.running());
        assertEquals(0, gate.admitted());
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(0, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(1, -1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(1, 1, Duration.ofMillis(-1)));
        assertEquals(5, new AdmissionGate.Settings(2, 3, Duration.ZERO).capacity());
    }
}
