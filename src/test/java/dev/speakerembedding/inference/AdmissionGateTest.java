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

    /** Polls until {@code gate} has {@code waiting} callers queued, so a test never races its own set-up. */
    private static void awaitWaiting(AdmissionGate gate, int waiting) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.waiting() != waiting) {
            assertTrue(System.nanoTime() < deadline, "expected " + waiting + " waiting, have " + gate.waiting());
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    @Test
    void admitsUpToTheConcurrencyAtOnce() throws Exception {
        AdmissionGate gate = gate(2, 0, 0);
        AdmissionGate.Permit a = gate.enter();
        AdmissionGate.Permit b = gate.enter();
        assertEquals(2, gate.running());
        SaturatedException e = assertThrows(SaturatedException.class, gate::enter);
        assertEquals(SaturatedException.Reason.QUEUE_FULL, e.reason());
        a.close();
        try (AdmissionGate.Permit c = gate.enter()) {
            assertEquals(2, gate.running());
        }
        b.close();
        assertEquals(0, gate.running());
    }

    @Test
    void queuedCallerGetsTheSlotWhenItIsReleased() throws Exception {
        AdmissionGate gate = gate(1, 1, 10_000);
        AdmissionGate.Permit held = gate.enter();
        Future<Long> queued = pool.submit(() -> {
            long t0 = System.nanoTime();
            try (AdmissionGate.Permit p = gate.enter()) {
                return System.nanoTime() - t0;
            }
        });
        awaitWaiting(gate, 1);
        TimeUnit.MILLISECONDS.sleep(100);
        held.close();
        long waitedNanos = queued.get(5, TimeUnit.SECONDS);
        assertTrue(waitedNanos >= TimeUnit.MILLISECONDS.toNanos(100), "waited for the release: " + waitedNanos);
        assertEquals(0, gate.running());
        assertEquals(0, gate.waiting());
    }

    @Test
    void pastTheQueueCallersAreRefusedWithoutWaiting() throws Exception {
        AdmissionGate gate = gate(1, 2, 30_000);
        AdmissionGate.Permit held = gate.enter();
        List<Future<?>> queued = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            queued.add(pool.submit(() -> {
                try (AdmissionGate.Permit p = gate.enter()) {
                    return null;
                }
            }));
        }
        awaitWaiting(gate, 2);
        long t0 = System.nanoTime();
        SaturatedException e = assertThrows(SaturatedException.class, gate::enter);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(SaturatedException.Reason.QUEUE_FULL, e.reason());
        assertTrue(tookMs < 500, "refused at once, took " + tookMs + " ms");
        assertTrue(e.retryAfterSeconds() >= 1, "Retry-After is at least 1 s");
        assertTrue(e.getMessage().contains("2 requests are already waiting"), e.getMessage());
        held.close();
        for (Future<?> f : queued) {
            f.get(5, TimeUnit.SECONDS);
        }
        assertEquals(0, gate.waiting(), "a refused caller leaves no trace in the queue");
    }

    @Test
    void queuedCallerGivesUpAfterTheTimeout() throws Exception {
        AdmissionGate gate = gate(1, 4, 150);
        try (AdmissionGate.Permit held = gate.enter()) {
            long t0 = System.nanoTime();
            SaturatedException e = assertThrows(SaturatedException.class, gate::enter);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(SaturatedException.Reason.QUEUE_TIMEOUT, e.reason());
            assertTrue(tookMs >= 140 && tookMs < 5_000, "waited about the timeout: " + tookMs + " ms");
            assertEquals(0, gate.waiting());
        }
    }

    @Test
    void closingAPermitTwiceFreesOneSlot() throws Exception {
        AdmissionGate gate = gate(1, 0, 0);
        AdmissionGate.Permit p = gate.enter();
        p.close();
        p.close();
        AdmissionGate.Permit q = gate.enter();
        assertThrows(SaturatedException.class, gate::enter, "still only one slot");
        q.close();
    }

    @Test
    void retryAfterFollowsTheRecentHoldTimeAndStaysBounded() throws Exception {
        AdmissionGate gate = gate(1, 0, 0);
        assertEquals(1, gate.retryAfterSeconds(), "no history: 1 s");
        try (AdmissionGate.Permit p = gate.enter()) {
            TimeUnit.MILLISECONDS.sleep(1_200);
        }
        int seconds = gate.retryAfterSeconds();
        assertTrue(seconds >= 2 && seconds <= AdmissionGate.MAX_RETRY_AFTER_SECONDS, "one 1.2 s hold: " + seconds);
    }

    @Test
    void manyThreadsNeverExceedTheConcurrency() throws Exception {
        AdmissionGate gate = gate(3, 100, 10_000);
        int threads = 24;
        CountDownLatch start = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger maxInside = new java.util.concurrent.atomic.AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            all.add(pool.submit(() -> {
                start.await();
                for (int k = 0; k < 20; k++) {
                    try (AdmissionGate.Permit p = gate.enter()) {
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
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(0, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(1, -1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new AdmissionGate.Settings(1, 1, Duration.ofMillis(-1)));
    }
}
