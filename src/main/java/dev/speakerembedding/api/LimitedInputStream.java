package dev.speakerembedding.api;

import dev.speakerembedding.inference.UploadBudget;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A request body as it arrives, with three limits checked on every read, so nothing past them is buffered:
 * at most {@code limitBytes}; memory reserved from the shared {@link UploadBudget} as the bytes arrive; and a
 * deadline of {@code timeout} plus one second per {@code minBytesPerSecond} received (Apache mod_reqtimeout's
 * "body=20,MinRate=..." rule), so a client trickling its upload is cut off while a large upload on a slow but
 * honest link is not.
 */
final class LimitedInputStream extends FilterInputStream {

    /** Reservations grow in steps of this, so the shared budget is not touched on every small read. */
    static final long RESERVE_STEP_BYTES = 256 * 1024;

    /** How the stream's limits are set. */
    record Limits(long limitBytes, Duration timeout, long minBytesPerSecond) {
        static Limits sizeOnly(long limitBytes) {
            return new Limits(limitBytes, Duration.ofDays(1), Long.MAX_VALUE);
        }
    }

    private final Limits limits;
    private final UploadBudget.Account account;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private long countBytes;
    /** When the last byte so far arrived (or the end was seen), for the upload stage's time. */
    private volatile long lastReadNanos;
    private volatile boolean budgetRefused;

    LimitedInputStream(InputStream in, long limitBytes) {
        this(in, Limits.sizeOnly(limitBytes), null, System::nanoTime);
    }

    /**
     * @param account   where the bytes are reserved as they arrive, or null for no memory budget
     * @param nanoClock the clock of the deadline; the time of construction counts as the upload's start
     */
    LimitedInputStream(InputStream in, Limits limits, UploadBudget.Account account, LongSupplier nanoClock) {
        super(in);
        this.limits = limits;
        this.account = account;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    @Override
    public int read() throws IOException {
        int b;
        try {
            b = super.read();
        } catch (IOException e) {
            throw translated(e);
        }
        if (b >= 0) {
            count(1);
        } else {
            arrived();
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        // Never ask for more than one byte past the limit: that byte is enough to know the body is too large.
        long allowed = limits.limitBytes() - countBytes + 1;
        int n;
        try {
            n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, allowed)));
        } catch (IOException e) {
            throw translated(e);
        }
        if (n > 0) {
            count(n);
        } else if (n < 0) {
            arrived();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, Math.max(1, limits.limitBytes() - countBytes + 1)));
        count(skipped);
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Bytes of the body read so far. */
    long bytesRead() {
        return countBytes;
    }

    /** From the stream's creation to the last byte read (or the end seen), or -1 when nothing was read. */
    long readNanos() {
        return countBytes == 0 && lastReadNanos == 0 ? -1 : lastReadNanos - startNanos;
    }

    /** The upload was refused for want of room in the upload budget (MAX_BUFFERED_UPLOAD_BYTES). */
    boolean budgetRefused() {
        return budgetRefused;
    }

    private void arrived() {
        lastReadNanos = nanoClock.getAsLong();
    }

    private void count(long n) throws RequestBodyRefusedException {
        arrived();
        countBytes += n;
        long limitBytes = limits.limitBytes();
        if (countBytes > limitBytes) {
            throw tooLarge(limitBytes, "more than " + limitBytes);
        }
        if (account != null && countBytes > account.heldBytes()) {
            long want = Math.min(limitBytes, (countBytes / RESERVE_STEP_BYTES + 1) * RESERVE_STEP_BYTES);
            if (!account.ensure(want) && !account.ensure(countBytes)) {
                budgetRefused = true;
                throw budgetExceeded(countBytes);
            }
        }
        long elapsedNanos = nanoClock.getAsLong() - startNanos;
        double allowedSeconds = limits.timeout().toNanos() / 1e9 + (double) countBytes / limits.minBytesPerSecond();
        if (elapsedNanos / 1e9 > allowedSeconds) {
            throw new UploadTooSlowException(String.format("the upload was cut off after %.1f s with %d bytes "
                    + "received; a body must arrive within UPLOAD_TIMEOUT_MS (%d ms) plus one second per "
                    + "UPLOAD_MIN_BYTES_PER_SECOND (%d) received", elapsedNanos / 1e9, countBytes,
                    limits.timeout().toMillis(), limits.minBytesPerSecond()));
        }
    }

    /**
     * The container's own read timeout (Liberty's httpOptions readTimeout: one buffer of the body, about 8 KiB,
     * did not arrive in time) is the same verdict as the upload deadline: 408, not a broken request.
     */
    private IOException translated(IOException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.SocketTimeoutException || c.getClass().getSimpleName().contains("Timeout")) {
                long elapsedMs = (nanoClock.getAsLong() - startNanos) / 1_000_000;
                return new UploadTooSlowException(String.format("the upload was cut off after %.1f s with %d bytes "
                        + "received: the server's read timeout passed without the next part of the body",
                        elapsedMs / 1e3, countBytes), e);
            }
        }
        return e;
    }

    static RequestTooLargeException tooLarge(long limitBytes, String size) {
        return new RequestTooLargeException(limitBytes, "the request body is " + size + " bytes; the limit is "
                + limitBytes + " bytes (MAX_REQUEST_BYTES)");
    }

    static UploadBudgetExceededException budgetExceeded(long bytes) {
        return new UploadBudgetExceededException("uploads in progress already hold the memory set aside for request "
                + "bodies (MAX_BUFFERED_UPLOAD_BYTES); this one (" + bytes + " bytes) does not fit now; retry after "
                + UploadBudgetExceededException.RETRY_AFTER_SECONDS + " s");
    }
}
