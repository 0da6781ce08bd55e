package dev.speakerembedding.api;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts what passes through and fails as soon as the count exceeds the limit, so nothing past it is buffered. */
final class LimitedInputStream extends FilterInputStream {

    private final long limitBytes;
    private long countBytes;

    LimitedInputStream(InputStream in, long limitBytes) {
        super(in);
        this.limitBytes = limitBytes;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        // Never ask for more than one byte past the limit: that byte is enough to know the body is too large.
        long allowed = limitBytes - countBytes + 1;
        int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, allowed)));
        if (n > 0) {
            count(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, Math.max(1, limitBytes - countBytes + 1)));
        count(skipped);
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void count(long n) throws RequestTooLargeException {
        countBytes += n;
        if (countBytes > limitBytes) {
            throw tooLarge(limitBytes, "more than " + limitBytes);
        }
    }

    static RequestTooLargeException tooLarge(long limitBytes, String size) {
        return new RequestTooLargeException(limitBytes, "the request body is " + size + " bytes; the limit is "
                + limitBytes + " bytes (MAX_REQUEST_BYTES)");
    }
}
