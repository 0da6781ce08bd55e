package dev.speakerembedding.profiles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The profiles one server identifies among, in memory: sherpa-onnx's {@code SpeakerEmbeddingManager} layout, one
 * contiguous row-major {@code float[]} of unit-length rows (N x dimension) with the ids beside it, so a search is
 * one pass of dot products over consecutive memory.
 *
 * <p>Only vectors of one model identity belong in an index; the caller (the store's loader) filters by identity,
 * as the index sees only numbers.
 *
 * <p>Concurrency: a read-write lock. Searches share the read lock; a write (put, remove) takes the write lock and
 * changes one row in place, so no reader ever sees a half-written row and a write costs O(dimension), not a copy
 * of the whole matrix as copy-on-write would (at 1M x 192 a copy is 768 MB moved and as much garbage per write,
 * and twice the heap at the moment of writing). A write waits for the searches in progress, at most one
 * search's duration.
 *
 * <p>Scoring: rows are ranked by float32 dot products (eight independent accumulators, a loop the JIT keeps in
 * registers), and the scores of the ranked rows are then recomputed in double exactly as
 * {@link ProfileScoring#verify} computes them, so identify and verify report the same number for the same profile
 * and probe. Rows whose float32 scores differ by less than float32 rounding (about 1e-7) may be ranked in either
 * order before the final sort. With a scan executor and more than one scan thread, indexes of at least
 * {@code parallelMinRows} rows are scanned in that many parts at once ({@link RowScan}).
 *
 * <p>Memory: {@code 4 x dimension} bytes per row of capacity (capacity grows by a quarter at a time, and for the
 * moment of growing both arrays exist), plus the id, its reference and a hash map entry per profile. Deleted rows
 * are zeroed, so a deleted profile's vector does not linger in the heap.
 *
 * @param <K> profile id type; its natural order breaks ties between equal scores
 */
public final class ProfileIndex<K extends Comparable<? super K>> {

    /**
     * Below this many rows a whole search is a few milliseconds of one core, little beside the cost of handing
     * half of it to another thread.
     */
    public static final int DEFAULT_PARALLEL_MIN_ROWS = 50_000;
    private static final int MIN_GROWTH_ROWS = 1024;
    private static final long MAX_MATRIX_FLOATS = Integer.MAX_VALUE - 8;

    private final int dimension;
    private final Executor scanExecutor;
    private final int scanThreads;
    private final int parallelMinRows;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<K, Integer> rowOf = new HashMap<>();
    private float[] matrix = new float[0];
    private Object[] ids = new Object[0];
    private int size;

    /** A single-threaded index. */
    public ProfileIndex(int dimension) {
        this(dimension, null, 1, DEFAULT_PARALLEL_MIN_ROWS);
    }

    /**
     * @param scanExecutor runs the parts of large searches (a managed executor in the server)
     * @param scanThreads  parts a large search is split into, at least 1 (the machine's cores, say)
     */
    public ProfileIndex(int dimension, Executor scanExecutor, int scanThreads) {
        this(dimension, Objects.requireNonNull(scanExecutor, "scanExecutor"), scanThreads, DEFAULT_PARALLEL_MIN_ROWS);
    }

    ProfileIndex(int dimension, Executor scanExecutor, int scanThreads, int parallelMinRows) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
        if (scanThreads < 1) {
            throw new IllegalArgumentException("scanThreads must be at least 1, got " + scanThreads);
        }
        this.dimension = dimension;
        this.scanExecutor = scanExecutor;
        this.scanThreads = scanThreads;
        this.parallelMinRows = Math.max(1, parallelMinRows);
    }

    public int dimension() {
        return dimension;
    }

    public int size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }

    public boolean contains(K id) {
        Objects.requireNonNull(id, "id");
        lock.readLock().lock();
        try {
            return rowOf.containsKey(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Bytes the vector matrix holds now, capacity included. */
    public long matrixBytes() {
        lock.readLock().lock();
        try {
            return (long) matrix.length * Float.BYTES;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Adds a profile, or replaces its vector when the id is already there. The vector is copied and scaled to
     * unit length.
     *
     * @return true when an existing profile's vector was replaced
     * @throws InvalidVectorException when the vector is invalid or of another dimension; the index is unchanged
     */
    public boolean put(K id, float[] vector) {
        Objects.requireNonNull(id, "id");
        float[] unit = UnitVectors.unitLength(vector, dimension, "profile vector");
        lock.writeLock().lock();
        try {
            return putLocked(id, unit);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Adds or replaces many profiles under one write (a batch of the load at start): all are checked before any
     * is stored, and the matrix grows at most once (to exactly the size needed when the index is empty).
     *
     * @throws InvalidVectorException when one vector is invalid; the index is unchanged
     */
    public void putAll(Map<K, float[]> vectors) {
        Objects.requireNonNull(vectors, "vectors");
        Map<K, float[]> units = new LinkedHashMap<>();
        for (Map.Entry<K, float[]> e : vectors.entrySet()) {
            units.put(Objects.requireNonNull(e.getKey(), "id"),
                    UnitVectors.unitLength(e.getValue(), dimension, "profile vector"));
        }
        lock.writeLock().lock();
        try {
            int added = 0;
            for (K id : units.keySet()) {
                if (!rowOf.containsKey(id)) {
                    added++;
                }
            }
            ensureCapacity(size + added, size == 0);
            units.forEach(this::putLocked);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Makes room for {@code rows} profiles in all, so that a load of known size (the store's count) grows the
     * matrix once, to exactly that size, instead of a quarter at a time.
     */
    public void reserve(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must not be negative, got " + rows);
        }
        lock.writeLock().lock();
        try {
            ensureCapacity(rows, true);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Removes a profile: the last row moves into its place and the freed row is zeroed.
     *
     * @return true when it was there
     */
    public boolean remove(K id) {
        Objects.requireNonNull(id, "id");
        lock.writeLock().lock();
        try {
            Integer row = rowOf.remove(id);
            if (row == null) {
                return false;
            }
            int last = size - 1;
            if (row != last) {
                System.arraycopy(matrix, last * dimension, matrix, row * dimension, dimension);
                ids[row] = ids[last];
                rowOf.put(id(row), row);
            }
            Arrays.fill(matrix, last * dimension, (last + 1) * dimension, 0f);
            ids[last] = null;
            size = last;
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes every profile and zeroes the matrix (before a full reload). */
    public void clear() {
        lock.writeLock().lock();
        try {
            Arrays.fill(matrix, 0, size * dimension, 0f);
            Arrays.fill(ids, 0, size, null);
            rowOf.clear();
            size = 0;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** {@link #search(float[], int, Collection)} among all profiles. */
    public IndexSearchResult<K> search(float[] probe, int top) {
        return search(probe, top, null);
    }

    /**
     * The {@code top} profiles that score best against {@code probe}, best first, equal scores by ascending id.
     *
     * @param probe      an embedding of the index's dimension, of any length (it is scaled to unit length)
     * @param top        at least 1; fewer are returned when fewer profiles are scored
     * @param candidates when not null, only these profiles are scored (ids not in the index are ignored, each
     *                   profile is scored once however often it is named)
     * @throws InvalidVectorException   when the probe is invalid or of another dimension
     * @throws IllegalArgumentException when {@code top < 1}
     */
    public IndexSearchResult<K> search(float[] probe, int top, Collection<K> candidates) {
        if (top < 1) {
            throw new IllegalArgumentException("top must be at least 1, got " + top);
        }
        float[] unit = UnitVectors.unitLength(probe, dimension, "probe");
        lock.readLock().lock();
        try {
            int[] rows = candidates == null ? null : candidateRows(candidates);
            int scored = rows == null ? size : rows.length;
            if (scored == 0) {
                return new IndexSearchResult<>(List.of(), 0);
            }
            int kept = Math.min(top, scored);
            TopScores<K> best = rows == null ? scanAll(unit, kept) : scanRows(rows, unit, kept);
            List<ProfileMatch<K>> matches = new ArrayList<>(best.size());
            for (int i = 0; i < best.size(); i++) {
                int row = best.row(i);
                double score = UnitVectors.cosine(matrix, row * dimension, unit);
                matches.add(new ProfileMatch<>(id(row), score));
            }
            matches.sort(bestFirst());
            return new IndexSearchResult<>(matches, scored);
        } finally {
            lock.readLock().unlock();
        }
    }

    private boolean putLocked(K id, float[] unit) {
        Integer existing = rowOf.get(id);
        if (existing != null) {
            System.arraycopy(unit, 0, matrix, existing * dimension, dimension);
            return true;
        }
        ensureCapacity(size + 1, false);
        System.arraycopy(unit, 0, matrix, size * dimension, dimension);
        ids[size] = id;
        rowOf.put(id, size);
        size++;
        return false;
    }

    private void ensureCapacity(int rows, boolean exact) {
        int capacity = ids.length;
        if (rows <= capacity) {
            return;
        }
        long wanted = exact ? rows : Math.max(rows, (long) size + Math.max(size >> 2, MIN_GROWTH_ROWS));
        long maxRows = MAX_MATRIX_FLOATS / dimension;
        if (rows > maxRows) {
            throw new IllegalStateException("the index holds at most " + maxRows + " profiles of dimension "
                    + dimension + ", " + rows + " asked for");
        }
        int newCapacity = (int) Math.min(wanted, maxRows);
        matrix = Arrays.copyOf(matrix, newCapacity * dimension);
        ids = Arrays.copyOf(ids, newCapacity);
    }

    private int[] candidateRows(Collection<K> candidates) {
        int[] rows = new int[candidates.size()];
        int n = 0;
        Set<Integer> taken = new HashSet<>();
        for (K id : candidates) {
            Integer row = id == null ? null : rowOf.get(id);
            if (row != null && taken.add(row)) {
                rows[n++] = row;
            }
        }
        return Arrays.copyOf(rows, n);
    }

    private TopScores<K> scanRows(int[] rows, float[] unit, int kept) {
        TopScores<K> best = new TopScores<>(kept, ids);
        for (int row : rows) {
            best.offer(row, RowScan.dot(matrix, row * dimension, unit));
        }
        return best;
    }

    private TopScores<K> scanAll(float[] unit, int kept) {
        int parts = scanExecutor == null || size < parallelMinRows ? 1 : Math.min(scanThreads, size);
        return RowScan.scan(matrix, ids, size, unit, kept, parts, scanExecutor);
    }

    @SuppressWarnings("unchecked")
    private K id(int row) {
        return (K) ids[row];
    }

    private Comparator<ProfileMatch<K>> bestFirst() {
        return (a, b) -> {
            int byScore = Double.compare(b.score(), a.score());
            return byScore != 0 ? byScore : a.id().compareTo(b.id());
        };
    }
}
