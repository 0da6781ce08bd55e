package dev.speakerembedding.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The session holder both model families share, on a real ONNX Runtime session (y = 2x, written by OnnxWriter):
 * concurrent uses run at once, close waits for the uses in progress and then frees the session, and a use after close
 * fails without reaching native code.
 */
class GuardedSessionTest {

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private ExecutorService pool;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** A session computing y = 2x for a float vector x of any length. */
    private static OrtSession doubling() throws IOException, OrtException {
        GraphBuilder g = new GraphBuilder();
        String x = g.input("x", List.of(Dim.symbolic("n")));
        g.output(g.op("Add", x, x), "y", List.of(Dim.symbolic("n")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OnnxWriter.write(g.build("doubling", "speaker-embedding", "test", Map.of()), bytes);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return ENV.createSession(bytes.toByteArray(), options);
        }
    }

    private static float[] run(OrtSession session, float... x) throws OrtException {
        try (OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), new long[] {x.length});
             OrtSession.Result result = session.run(Map.of("x", input))) {
            float[] y = new float[x.length];
            ((OnnxTensor) result.get("y").orElseThrow()).getFloatBuffer().get(y);
            return y;
        }
    }

    /** Inside a use, which may throw only OrtException and unchecked ones. */
    private static boolean await(CountDownLatch latch) {
        try {
            return latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Test
    void useRunsTheSessionAndPassesItsResultOn() throws Exception {
        try (GuardedSession guarded = new GuardedSession(doubling())) {
            assertArrayEquals(new float[] {2, -6, 0.5f}, guarded.use(s -> run(s, 1, -3, 0.25f)));
            assertFalse(guarded.isClosed());
        }
    }

    @Test
    void closeIsIdempotentAndLaterUsesFailWithoutCallingTheUse() throws Exception {
        GuardedSession guarded = new GuardedSession(doubling());
        guarded.close();
        guarded.close();
        assertTrue(guarded.isClosed());
        AtomicBoolean called = new AtomicBoolean();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> guarded.use(s -> {
            called.set(true);
            return run(s, 1);
        }));
        assertEquals("model is closed", e.getMessage());
        assertFalse(called.get(), "the closed session is never handed out");
    }

    @Test
    void usesRunConcurrently() throws Exception {
        try (GuardedSession guarded = new GuardedSession(doubling())) {
            int users = 4;
            CountDownLatch allInside = new CountDownLatch(users);
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < users; i++) {
                float x = i;
                results.add(pool.submit(() -> guarded.use(s -> {
                    allInside.countDown();
                    // Every use waits inside for the others: only possible when uses share the session at once.
                    if (!await(allInside)) {
                        throw new IllegalStateException("uses were serialised");
                    }
                    return run(s, x);
                })));
            }
            for (int i = 0; i < users; i++) {
                assertArrayEquals(new float[] {2 * i}, results.get(i).get(20, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void closeWaitsForTheUseInProgressThenLaterUsesFail() throws Exception {
        GuardedSession guarded = new GuardedSession(doubling());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<float[]> running = pool.submit(() -> guarded.use(s -> {
            inside.countDown();
            assertTrue(await(release));
            // Still open although close() was called meanwhile: the native session must work.
            return run(s, 21);
        }));
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        Future<?> closing = pool.submit(guarded::close);
        assertThrows(TimeoutException.class, () -> closing.get(300, TimeUnit.MILLISECONDS),
                "close returned while a use was in progress");
        release.countDown();
        assertArrayEquals(new float[] {42}, running.get(10, TimeUnit.SECONDS));
        closing.get(10, TimeUnit.SECONDS);
        assertTrue(guarded.isClosed());
        assertThrows(IllegalStateException.class, () -> guarded.use(s -> run(s, 1)));
    }

    @Test
    void whatTheUseThrowsReachesTheCallerAndTheSessionStaysUsable() throws Exception {
        try (GuardedSession guarded = new GuardedSession(doubling())) {
            OrtException failure = assertThrows(OrtException.class, () -> guarded.use(s -> {
                try (OnnxTensor wrong = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(new float[] {1}),
                        new long[] {1}); OrtSession.Result r = s.run(Map.of("not_an_input", wrong))) {
                    return r.size();
                }
            }));
            assertTrue(failure.getMessage().contains("not_an_input"), failure.getMessage());
            IllegalStateException mine = new IllegalStateException("the use's own");
            assertSame(mine, assertThrows(IllegalStateException.class, () -> guarded.use(s -> {
                throw mine;
            })));
            assertArrayEquals(new float[] {8}, guarded.use(s -> run(s, 4)), "the lock was released after failures");
        }
    }

    @Test
    void aLoneUseTakesTheWidestSessionAndOverlappingUsesTheNarrowerOnes() throws Exception {
        OrtSession wide = doubling();
        OrtSession narrow = doubling();
        try (GuardedSession guarded = new GuardedSession(List.of(wide, narrow), List.of(2, 1))) {
            assertEquals(List.of(2, 1), guarded.threadVariants());
            assertSame(wide, guarded.use(s -> s), "alone: every core");
            CountDownLatch firstInside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<OrtSession> first = pool.submit(() -> guarded.use(s -> {
                firstInside.countDown();
                assertTrue(await(release));
                assertArrayEquals(new float[] {6}, run(s, 3));
                return s;
            }));
            assertTrue(firstInside.await(10, TimeUnit.SECONDS));
            OrtSession second = guarded.use(s -> {
                assertArrayEquals(new float[] {10}, run(s, 5));
                return s;
            });
            assertSame(narrow, second, "a use that overlaps another gets its share: one thread");
            release.countDown();
            assertSame(wide, first.get(10, TimeUnit.SECONDS));
            assertSame(wide, guarded.use(s -> s), "alone again once the others have ended");
        }
        assertThrows(IllegalStateException.class, () -> wide.getInputNames(), "close frees every variant");
        assertThrows(IllegalStateException.class, () -> narrow.getInputNames());
    }

    @Test
    void oneSessionPerThreadCount() throws Exception {
        try (OrtSession one = doubling()) {
            assertThrows(IllegalArgumentException.class, () -> new GuardedSession(List.of(one), List.of(2, 1)));
        }
    }
}
