package dev.speakerembedding.inference;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of request bodies the server may hold in memory at once, all requests together. Uploads reserve as their
 * bytes arrive (or their declared length at once) and give the reservation back when their request ends; an
 * upload that does not fit is refused instead of growing the heap. This is what bounds memory once uploads no
 * longer hold places in the {@link AdmissionGate} (a client trickling its body must not keep others from being
 * served, so the gate is entered only after the body has arrived).
 *
 * <p>Plain Java and thread-safe.
 */
public final class UploadBudget {

    private final long capacityBytes;
    private final AtomicLong reservedBytes = new AtomicLong();

    /** @param capacityBytes the most bytes reserved at once, at least 1 */
    public UploadBudget(long capacityBytes) {
        if (capacityBytes < 1) {
            throw new IllegalArgumentException("capacityBytes must be at least 1, got " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    /** Bytes reserved now. */
    public long reservedBytes() {
        return reservedBytes.get();
    }

    /** Reserves {@code bytes} if they fit, else nothing. */
    public boolean tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        }
        while (true) {
            long now = reservedBytes.get();
            if (bytes > capacityBytes - now) {
                return false;
            }
            if (reservedBytes.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes reserved earlier. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        }
        long after = reservedBytes.addAndGet(-bytes);
        if (after < 0) {
            reservedBytes.addAndGet(bytes);
            throw new IllegalStateException("released " + bytes + " bytes more than were reserved");
        }
    }

    /** A new account for one upload, holding nothing yet. */
    public Account account() {
        return new Account();
    }

    /** One upload's reservation: grows as its bytes arrive, given back whole (once) by {@link #close()}. */
    public final class Account implements AutoCloseable {
        private long heldBytes;
        private boolean closed;

        private Account() {
        }

        /**
         * Makes the reservation at least {@code totalBytes}.
         *
         * @return false when the budget has no room for it (the reservation is then unchanged)
         */
        public synchronized boolean ensure(long totalBytes) {
            if (closed) {
                throw new IllegalStateException("upload account is closed");
            }
            if (totalBytes <= heldBytes) {
                return true;
            }
            if (!tryReserve(totalBytes - heldBytes)) {
                return false;
            }
            heldBytes = totalBytes;
            return true;
        }

        public synchronized long heldBytes() {
            return heldBytes;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                release(heldBytes);
                heldBytes = 0;
            }
        }
    }
}
