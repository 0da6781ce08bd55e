package dev.speakerembedding.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The two hashes the Hub names blobs by: sha256 of the content (LFS) and git's blob sha1. */
final class Hashing {
    private static final int BUFFER_BYTES = 1 << 16;

    private Hashing() {
    }

    /**
     * A digest that, fed the file's bytes, yields its etag: sha256 for a 64-hex etag, otherwise git's blob id
     * {@code sha1("blob " + size + "\0" + content)} whose header needs the size up front.
     */
    static MessageDigest digestFor(String etag, long sizeBytes) {
        if (Names.isSha256(etag)) {
            return newDigest("SHA-256");
        }
        MessageDigest sha1 = newDigest("SHA-1");
        sha1.update(("blob " + sizeBytes + "\0").getBytes(StandardCharsets.US_ASCII));
        return sha1;
    }

    static String algorithmFor(String etag) {
        return Names.isSha256(etag) ? "sha256" : "git blob sha1";
    }

    /** The hash of {@code file} in the form its etag uses. */
    static String hashFile(Path file, String etag) throws IOException {
        MessageDigest digest = digestFor(etag, Files.size(file));
        update(digest, file, Long.MAX_VALUE);
        return hex(digest.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest("SHA-256");
        update(digest, file, Long.MAX_VALUE);
        return hex(digest.digest());
    }

    static String gitBlobSha1(Path file) throws IOException {
        MessageDigest digest = digestFor("", Files.size(file));
        update(digest, file, Long.MAX_VALUE);
        return hex(digest.digest());
    }

    /** Feeds the first {@code limitBytes} of {@code file} to {@code digest}; returns the count fed. */
    static long update(MessageDigest digest, Path file, long limitBytes) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        long total = 0;
        try (InputStream in = Files.newInputStream(file)) {
            while (total < limitBytes) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, limitBytes - total));
                if (n < 0) {
                    break;
                }
                digest.update(buffer, 0, n);
                total += n;
            }
        }
        return total;
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by every Java platform", e);
        }
    }
}
