package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The request-size limit counts while reading and stops one byte past the limit. */
class RequestLimitsTest {

    /** An endless body that records how much was asked of it. */
    private static final class Endless extends InputStream {
        long served;

        @Override
        public int read() {
            served++;
            return 7;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            served += len;
            return len;
        }
    }

    @Test
    void limitedStreamPassesABodyAtTheLimit() throws IOException {
        byte[] body = new byte[1000];
        try (InputStream in = new LimitedInputStream(new ByteArrayInputStream(body), 1000)) {
            assertEquals(1000, in.readAllBytes().length);
        }
    }

    @Test
    void limitedStreamFailsOneBytePastTheLimitWithoutReadingFurther() {
        Endless endless = new Endless();
        InputStream in = new LimitedInputStream(endless, 10_000);
        RequestTooLargeException e = assertThrows(RequestTooLargeException.class, () -> in.read(new byte[1 << 20]));
        assertEquals(10_001, endless.served, "asked for at most one byte past the limit");
        assertEquals(10_000, e.limitBytes());
        assertTrue(e.getMessage().contains("MAX_REQUEST_BYTES"), e.getMessage());
    }

    @Test
    void limitedStreamCountsSingleBytesAndSkips() throws IOException {
        InputStream in = new LimitedInputStream(new Endless(), 3);
        in.read();
        in.skip(2);
        assertThrows(RequestTooLargeException.class, in::read);
    }

    @Test
    void readBoundedReturnsTheBodyAndRefusesMore() throws Exception {
        byte[] body = new byte[200_000];
        body[199_999] = 42;
        assertArrayEquals(body, RequestBodies.readBounded(new ByteArrayInputStream(body), 200_000));
        ProblemException e = assertThrows(ProblemException.class,
                () -> RequestBodies.readBounded(new ByteArrayInputStream(body), 199_999));
        assertEquals(ProblemType.REQUEST_TOO_LARGE, e.type());
        assertEquals(413, e.problem().status());
    }

    @Test
    void theLimitFiringInsideTheStreamBecomes413() {
        ProblemException e = assertThrows(ProblemException.class,
                () -> RequestBodies.readBounded(new LimitedInputStream(new Endless(), 5000), 1 << 20));
        assertEquals(ProblemType.REQUEST_TOO_LARGE, e.type());
    }

    @Test
    void aBrokenUploadIsBodyReadFailed() {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        };
        ProblemException e = assertThrows(ProblemException.class, () -> RequestBodies.readBounded(broken, 100));
        assertEquals(ProblemType.BODY_READ_FAILED, e.type());
        assertEquals(400, e.problem().status());
    }

    @Test
    void theLimitIsFoundAmongWrappingCauses() {
        Exception wrapped = new IllegalStateException("reader failed",
                new java.io.UncheckedIOException(new RequestTooLargeException(10, "too large")));
        assertEquals(ProblemType.REQUEST_TOO_LARGE, ProblemMappers.clientProblemInCauses(wrapped).type());
        assertEquals(null, ProblemMappers.clientProblemInCauses(new IllegalStateException("a bug")));
    }

    @Test
    void declaredLengthIsALongAndRefusesWhatIsNotAByteCount() {
        assertEquals(-1, RequestSizeLimit.declaredLength(null));
        assertEquals(-1, RequestSizeLimit.declaredLength(" "));
        assertEquals(0, RequestSizeLimit.declaredLength("0"));
        // 8 GiB: beyond an int, where JAX-RS's getLength() gives up.
        assertEquals(8_589_934_592L, RequestSizeLimit.declaredLength("8589934592"));
        assertEquals(42, RequestSizeLimit.declaredLength(" 42 , 42"));
        for (String bad : new String[] {"-1", "+5", "1e9", "0x10", "42, 43", "99999999999999999999", "4 2", ","}) {
            assertThrows(NumberFormatException.class, () -> RequestSizeLimit.declaredLength(bad), bad);
        }
    }

    @Test
    void anyContentCodingButIdentityIsNamed() {
        assertEquals(null, RequestSizeLimit.contentEncoding(null));
        assertEquals(null, RequestSizeLimit.contentEncoding(java.util.List.of("identity", " IDENTITY ")));
        assertEquals("gzip", RequestSizeLimit.contentEncoding(java.util.List.of("GZip")));
        assertEquals("deflate, br", RequestSizeLimit.contentEncoding(java.util.List.of("deflate", "identity, br")));
    }

    /** A body that arrives at most {@code bytesPerRead} at a time, each byte advancing a fake clock. */
    private static InputStream trickle(long[] clock, int bytesPerRead, long nanosPerByte) {
        return new InputStream() {
            @Override
            public int read() {
                clock[0] += nanosPerByte;
                return 'R';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = Math.min(len, bytesPerRead);
                clock[0] += n * nanosPerByte;
                java.util.Arrays.fill(b, off, off + n, (byte) 'R');
                return n;
            }
        };
    }

    @Test
    void aClientTricklingItsBodyIsCutOffAtTheDeadline() {
        long[] clock = {0};
        LimitedInputStream.Limits limits = new LimitedInputStream.Limits(1 << 20, java.time.Duration.ofSeconds(20),
                65536);
        // One byte a second: the 20 s plus 1/65536 s per byte runs out with the 21st byte.
        InputStream in = new LimitedInputStream(trickle(clock, 1, 1_000_000_000L), limits, null, () -> clock[0]);
        UploadTooSlowException e = assertThrows(UploadTooSlowException.class, () -> in.readNBytes(100));
        assertEquals(21_000_000_000L, clock[0]);
        assertTrue(e.getMessage().contains("UPLOAD_TIMEOUT_MS (20000 ms)"), e.getMessage());
        ProblemException p = assertProblemOf(e);
        assertEquals(408, p.problem().status());
        assertEquals("upload_too_slow", p.problem().code());
        assertTrue(p.closeConnection(), "the rest of the upload is never read");
    }

    @Test
    void aLargeUploadAtTheMinimumRateIsNotCutOff() throws IOException {
        long[] clock = {0};
        LimitedInputStream.Limits limits = new LimitedInputStream.Limits(32 << 20, java.time.Duration.ofSeconds(20),
                65536);
        // 8 MiB at just over 64 KiB/s (a 512 kbit/s link): 128 s, allowed 20 s + 128 s.
        InputStream in = new LimitedInputStream(trickle(clock, 65536, 990_000_000L / 65536), limits, null, () -> clock[0]);
        assertEquals(8 << 20, in.readNBytes(8 << 20).length);
    }

    @Test
    void uploadsReserveTheSharedBudgetAsTheirBytesArriveAndAreRefusedWhenItIsFull() throws IOException {
        dev.speakerembedding.inference.UploadBudget budget = new dev.speakerembedding.inference.UploadBudget(1 << 20);
        LimitedInputStream.Limits limits = LimitedInputStream.Limits.sizeOnly(32 << 20);
        try (var first = budget.account(); var second = budget.account()) {
            InputStream a = new LimitedInputStream(new ByteArrayInputStream(new byte[600_000]), limits, first,
                    System::nanoTime);
            assertEquals(600_000, a.readAllBytes().length);
            assertTrue(first.heldBytes() >= 600_000 && first.heldBytes() <= 600_000 + LimitedInputStream.RESERVE_STEP_BYTES,
                    "reserved in steps: " + first.heldBytes());
            InputStream b = new LimitedInputStream(new Endless(), limits, second, System::nanoTime);
            UploadBudgetExceededException e = assertThrows(UploadBudgetExceededException.class, () -> b.readNBytes(1 << 20));
            assertTrue(first.heldBytes() + second.heldBytes() <= 1 << 20);
            ProblemException p = assertProblemOf(e);
            assertEquals(503, p.problem().status());
            assertEquals("saturated", p.problem().code());
            assertEquals(UploadBudgetExceededException.RETRY_AFTER_SECONDS, p.retryAfterSeconds());
        }
        assertEquals(0, budget.reservedBytes(), "both reservations given back");
    }

    private static ProblemException assertProblemOf(RequestBodyRefusedException e) {
        ProblemException p = ProblemMappers.clientProblemInCauses(new RuntimeException("a body reader failed", e));
        assertTrue(p != null, "the mappers find the refusal in the cause chain");
        return p;
    }

    @Test
    void theContainersReadTimeoutIsAnUploadTooSlowNotABrokenRequest() {
        InputStream timingOut = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("read failed", new java.net.SocketTimeoutException("Socket operation timed out"));
            }
        };
        InputStream in = new LimitedInputStream(timingOut, LimitedInputStream.Limits.sizeOnly(1000), null,
                System::nanoTime);
        UploadTooSlowException e = assertThrows(UploadTooSlowException.class, () -> in.read(new byte[10], 0, 10));
        assertTrue(e.getMessage().contains("read timeout"), e.getMessage());
        assertEquals("upload_too_slow", assertProblemOf(e).problem().code());
        InputStream broken = new LimitedInputStream(new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("Connection reset");
            }
        }, LimitedInputStream.Limits.sizeOnly(1000), null, System::nanoTime);
        IOException other = assertThrows(IOException.class, () -> broken.read(new byte[10], 0, 10));
        assertFalse(other instanceof RequestBodyRefusedException, "any other failure stays what it was");
    }
}
