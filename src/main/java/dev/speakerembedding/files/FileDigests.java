package dev.speakerembedding.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Hashing of file content: the one place that reads a file to hash it. */
public final class FileDigests {
    private static final int BUFFER_BYTES = 1 << 16;

    private FileDigests() {
    }

    /** The SHA-256 of {@code file}'s content, lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest("SHA-256");
        update(file, Long.MAX_VALUE, digest);
        return hex(digest.digest());
    }

    /**
     * Feeds the first {@code limitBytes} of {@code file} to every digest in one pass, so several hashes of a file
     * cost one read of it.
     *
     * @return the count of bytes fed
     */
    public static long update(Path file, long limitBytes, MessageDigest... digests) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        long total = 0;
        try (InputStream in = Files.newInputStream(file)) {
            while (total < limitBytes) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, limitBytes - total));
                if (n < 0) {
                    break;
                }
                for (MessageDigest digest : digests) {
                    digest.update(buffer, 0, n);
                }
                total += n;
            }
        }
        return total;
    }

    /** A digest every Java platform provides ("SHA-256", "SHA-1"). */
    public static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by every Java platform", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
