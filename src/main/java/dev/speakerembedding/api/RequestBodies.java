package dev.speakerembedding.api;

import jakarta.ws.rs.core.EntityPart;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads request bodies with the size limit enforced while reading, so an oversized upload costs no memory. */
final class RequestBodies {

    private RequestBodies() {
    }

    /** A Java array cannot be larger, whatever MAX_REQUEST_BYTES says. */
    private static final long LARGEST_ARRAY_BYTES = Integer.MAX_VALUE - 16;
    private static final int INITIAL_BUFFER_BYTES = 64 * 1024;
    /**
     * A declared length sizes the buffer at once only up to this; beyond it the buffer grows as bytes arrive, so
     * memory follows what was received (and reserved from the upload budget), not what a client announced.
     */
    private static final long LARGEST_PRESIZED_BYTES = 1 << 20;

    static byte[] readBounded(InputStream in, long maxBytes) throws ProblemException {
        return readBounded(in, -1, maxBytes);
    }

    /**
     * @param declaredBytes the Content-Length when known (else -1), which sizes the buffer (up to 1 MiB); a body that
     *                      turns out longer or shorter is still read correctly
     */
    static byte[] readBounded(InputStream in, long declaredBytes, long limitBytes) throws ProblemException {
        long maxBytes = Math.min(limitBytes, LARGEST_ARRAY_BYTES - 1);
        long initialBytes = declaredBytes >= 0 ? Math.min(declaredBytes + 1, LARGEST_PRESIZED_BYTES)
                : INITIAL_BUFFER_BYTES;
        byte[] buf = new byte[(int) Math.min(maxBytes + 1, initialBytes)];
        int size = 0;
        // Not try-with-resources: a container's stream may rethrow the very exception of the failed read from
        // close(), and adding an exception to itself as suppressed is an IllegalArgumentException.
        try {
            while (true) {
                if (size == buf.length) {
                    if (size > maxBytes) {
                        throw LimitedInputStream.tooLarge(maxBytes, "more than " + maxBytes).toProblem();
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(maxBytes + 1, (long) buf.length * 2));
                }
                int n = in.read(buf, size, buf.length - size);
                if (n < 0) {
                    break;
                }
                size += n;
                if (size > maxBytes) {
                    throw LimitedInputStream.tooLarge(maxBytes, "more than " + maxBytes).toProblem();
                }
            }
        } catch (RequestBodyRefusedException e) {
            throw e.toProblem();
        } catch (IOException e) {
            throw ProblemType.BODY_READ_FAILED.exception("the request body ended early or could not be read: "
                    + e.getMessage());
        } finally {
            closeQuietly(in);
        }
        return size == buf.length ? buf : Arrays.copyOf(buf, size);
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // the body was read or its failure reported already; closing only returns the connection's buffers
        }
    }

    /** Every part's bytes, in the order sent, named by the part's file name or else its form field name. */
    static List<AudioUpload> readAudioParts(List<EntityPart> parts, long maxBytes, int maxParts)
            throws ProblemException {
        if (parts == null || parts.isEmpty()) {
            throw ProblemType.INVALID_MULTIPART.exception("the multipart body holds no part; send each WAV file "
                    + "as one part (e.g. curl -F files=@a.wav -F files=@b.wav)");
        }
        if (parts.size() > maxParts) {
            throw ProblemType.BATCH_TOO_LARGE.exception("the request holds " + parts.size()
                    + " audio files; the limit is " + maxParts + " (MAX_BATCH_SIZE)");
        }
        List<AudioUpload> uploads = new ArrayList<>(parts.size());
        for (EntityPart part : parts) {
            String name = part.getFileName().filter(n -> !n.isBlank()).orElse(part.getName());
            uploads.add(new AudioUpload(name, readBounded(part.getContent(), maxBytes)));
        }
        return uploads;
    }

    /**
     * The parts named {@code required}, each exactly once and nothing else, keyed by name in that order.
     */
    static Map<String, AudioUpload> readNamedParts(List<EntityPart> parts, List<String> required, long maxBytes)
            throws ProblemException {
        Map<String, AudioUpload> byName = new LinkedHashMap<>();
        Set<String> expected = Set.copyOf(required);
        for (EntityPart part : parts == null ? List.<EntityPart>of() : parts) {
            String name = part.getName();
            if (!expected.contains(name)) {
                throw ProblemType.INVALID_MULTIPART.exception("unexpected part '" + truncate(name)
                        + "'; the parts are " + String.join(" and ", required));
            }
            if (byName.containsKey(name)) {
                throw ProblemType.INVALID_MULTIPART.exception("part '" + name + "' is sent twice");
            }
            String label = part.getFileName().filter(n -> !n.isBlank()).orElse(name);
            byName.put(name, new AudioUpload(label, readBounded(part.getContent(), maxBytes)));
        }
        for (String name : required) {
            if (!byName.containsKey(name)) {
                throw ProblemType.INVALID_MULTIPART.exception("part '" + name + "' is missing; send "
                        + String.join(" and ", required) + " as multipart/form-data parts");
            }
        }
        Map<String, AudioUpload> ordered = new LinkedHashMap<>();
        required.forEach(name -> ordered.put(name, byName.get(name)));
        return ordered;
    }

    /** Client-supplied text in a message, cut short so a hostile value cannot flood logs or answers. */
    static String truncate(String s) {
        if (s == null) {
            return "(none)";
        }
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
