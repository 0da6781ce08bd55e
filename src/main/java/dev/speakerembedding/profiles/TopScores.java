package dev.speakerembedding.profiles;

/**
 * The {@code capacity} best (row, score) pairs seen, in primitive arrays: a min-heap whose root is the worst kept
 * pair, so a row that cannot enter costs one comparison. Among equal scores the smaller id is better, which makes
 * every search's answer independent of row order and thread split.
 */
final class TopScores<K extends Comparable<? super K>> {

    private final Object[] ids;
    private final int capacity;
    private final float[] scores;
    private final int[] rows;
    private int size;

    /** @param ids the index's id array, read for tie-breaks only */
    TopScores(int capacity, Object[] ids) {
        this.capacity = capacity;
        this.ids = ids;
        this.scores = new float[capacity];
        this.rows = new int[capacity];
    }

    int size() {
        return size;
    }

    int row(int i) {
        return rows[i];
    }

    float score(int i) {
        return scores[i];
    }

    /** The score a row must beat (or equal with a smaller id) to enter; -infinity while not full. */
    float floor() {
        return size < capacity ? Float.NEGATIVE_INFINITY : scores[0];
    }

    void offer(int row, float score) {
        if (size < capacity) {
            int i = size++;
            scores[i] = score;
            rows[i] = row;
            siftUp(i);
        } else if (worse(scores[0], rows[0], score, row)) {
            scores[0] = score;
            rows[0] = row;
            siftDown(0);
        }
    }

    void offerAll(TopScores<K> other) {
        for (int i = 0; i < other.size; i++) {
            offer(other.rows[i], other.scores[i]);
        }
    }

    /** True when pair a ranks below pair b. */
    @SuppressWarnings("unchecked")
    private boolean worse(float scoreA, int rowA, float scoreB, int rowB) {
        if (scoreA != scoreB) {
            return scoreA < scoreB;
        }
        return ((K) ids[rowA]).compareTo((K) ids[rowB]) > 0;
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!worse(scores[i], rows[i], scores[parent], rows[parent])) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int worst = left;
            int right = left + 1;
            if (right < size && worse(scores[right], rows[right], scores[left], rows[left])) {
                worst = right;
            }
            if (!worse(scores[worst], rows[worst], scores[i], rows[i])) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
        int r = rows[a];
        rows[a] = rows[b];
        rows[b] = r;
    }
}
