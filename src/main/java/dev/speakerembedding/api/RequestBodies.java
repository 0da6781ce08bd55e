package dev.speakerembedding.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reads request bodies with the size limit enforced while reading, so an oversized upload costs no memory. */
final class RequestBodies {

    private RequestBodies() {
    }

    static byte[] readBounded(InputStream in, long declaredLength, long maxBytes) throws ProblemException {
        if (declaredLength > maxBytes) {
            throw tooLarge(declaredLength, maxBytes);
        }
        int initial = (int) Math.min(maxBytes + 1, declaredLength > 0 ? declaredLength : 64 * 1024);
        byte[] buf = new byte[Math.max(initial, 1)];
        int size = 0;
        try (in) {
            while (true) {
                if (size == buf.length) {
                    if (size > maxBytes) {
                        throw tooLarge(size, maxBytes);
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(maxBytes + 1, (long) buf.length * 2));
                }
                int n = in.read(buf, size, buf.length - size);
                if (n < 0) {
                    break;
                }
                size += n;
                if (size > maxBytes) {
                    throw tooLarge(size, maxBytes);
                }
            }
        } catch (IOException e) {
            throw new ProblemException(400, "body_read_failed", "Request body could not be read",
                    "the request body ended early or could not be read: " + e.getMessage());
        }
        return size == buf.length ? buf : Arrays.copyOf(buf, size);
    }

    private static ProblemException tooLarge(long size, long maxBytes) {
        return new ProblemException(413, "request_too_large", "Request too large",
                "the request body is at least " + size + " bytes; the limit is " + maxBytes + " bytes (MAX_REQUEST_BYTES)");
    }
}
