package dev.speakerembedding.profiles;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One pass of float32 dot products over the rows of a row-major matrix, keeping the best rows: the inner loop of
 * {@link ProfileIndex#search}, on one thread or split into parts run at once.
 *
 * <p>Split: the calling thread hands {@code parts - 1} helpers to the executor and scans parts itself; parts are
 * claimed from a counter, so the caller takes over any part no helper has started, and a busy or refusing
 * executor slows a search but never blocks it. The caller returns only when every part is done, because the
 * helpers read the matrix under the caller's read lock.
 */
final class RowScan {

    private RowScan() {
    }

    /** The {@code kept} best of rows 0 until {@code rows}, scanned in {@code parts} parts. */
    static <K extends Comparable<? super K>> TopScores<K> scan(float[] matrix, Object[] ids, int rows, float[] unit,
                                                              int kept, int parts, Executor executor) {
        if (parts <= 1 || executor == null) {
            return scanRange(matrix, ids, unit, 0, rows, kept);
        }
        int chunk = (rows + parts - 1) / parts;
        @SuppressWarnings("unchecked")
        TopScores<K>[] results = new TopScores[parts];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(parts);
        Runnable worker = () -> {
            for (int p = next.getAndIncrement(); p < parts; p = next.getAndIncrement()) {
                try {
                    results[p] = scanRange(matrix, ids, unit, p * chunk, Math.min(rows, (p + 1) * chunk), kept);
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            }
        };
        for (int helper = 1; helper < parts; helper++) {
            try {
                executor.execute(worker);
            } catch (RejectedExecutionException e) {
                break;
            }
        }
        worker.run();
        awaitUninterruptibly(done);
        if (failure.get() != null) {
            throw new IllegalStateException("a part of the profile search failed", failure.get());
        }
        TopScores<K> merged = new TopScores<>(kept, ids);
        for (TopScores<K> part : results) {
            if (part != null) {
                merged.offerAll(part);
            }
        }
        return merged;
    }

    private static void awaitUninterruptibly(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static <K extends Comparable<? super K>> TopScores<K> scanRange(float[] matrix, Object[] ids,
                                                                           float[] unit, int fromRow, int toRow,
                                                                           int kept) {
        TopScores<K> best = new TopScores<>(kept, ids);
        int d = unit.length;
        for (int row = fromRow, offset = fromRow * d; row < toRow; row++, offset += d) {
            float score = dot(matrix, offset, unit);
            if (score >= best.floor()) {
                best.offer(row, score);
            }
        }
        return best;
    }

    /**
     * float32 dot product with eight independent sums, so consecutive additions do not wait for each other (the
     * JIT keeps the sums in registers; float additions are never reordered by it, so one sum would be a chain).
     */
    static float dot(float[] m, int offset, float[] v) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int d = v.length;
        int i = 0;
        for (; i + 8 <= d; i += 8) {
            int o = offset + i;
            s0 += m[o] * v[i];
            s1 += m[o + 1] * v[i + 1];
            s2 += m[o + 2] * v[i + 2];
            s3 += m[o + 3] * v[i + 3];
            s4 += m[o + 4] * v[i + 4];
            s5 += m[o + 5] * v[i + 5];
            s6 += m[o + 6] * v[i + 6];
            s7 += m[o + 7] * v[i + 7];
        }
        for (; i < d; i++) {
            s0 += m[offset + i] * v[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
