package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
