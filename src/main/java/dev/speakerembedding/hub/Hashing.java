package dev.speakerembedding.hub;

import dev.speakerembedding.files.FileDigests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/** The two hashes the Hub names blobs by: sha256 of the content (LFS) and git's blob sha1. */
final class Hashing {

    /**
     * What one read of a file gave.
     *
     * @param sizeBytes   the bytes read
     * @param sha256      SHA-256 of the content, hex
     * @param gitBlobSha1 git's blob id of the content, hex; null when it was not asked for
     */
    record FileHashes(long sizeBytes, String sha256, String gitBlobSha1) {

        /** Whether the content is the one {@code etag} names. */
        boolean matches(String etag) {
            String actual = actualFor(etag);
            return actual != null && actual.equalsIgnoreCase(etag);
        }

        /** The hash in the form {@code etag} uses. */
        String actualFor(String etag) {
            return Names.isSha256(etag) ? sha256 : gitBlobSha1;
        }
    }

    private Hashing() {
    }

    /**
     * A digest that, fed the file's bytes, yields its etag: sha256 for a 64-hex etag, otherwise git's blob id
     * {@code sha1("blob " + size + "\0" + content)} whose header needs the size up front.
     */
    static MessageDigest digestFor(String etag, long sizeBytes) {
        return Names.isSha256(etag) ? FileDigests.newDigest("SHA-256") : gitBlobDigest(sizeBytes);
    }

    static String algorithmFor(String etag) {
        return Names.isSha256(etag) ? "sha256" : "git blob sha1";
    }

    /**
     * The size and sha256 of {@code file} and, with {@code withGitBlobSha1}, its git blob id, in one read: a blob
     * named by a git hash is verified and its sha256 learnt at the cost of one pass.
     *
     * @throws IOException also when the file changed size while it was read (the git header would be wrong)
     */
    static FileHashes hash(Path file, boolean withGitBlobSha1) throws IOException {
        long sizeBytes = Files.size(file);
        MessageDigest sha256 = FileDigests.newDigest("SHA-256");
        MessageDigest sha1 = withGitBlobSha1 ? gitBlobDigest(sizeBytes) : null;
        long read = sha1 == null ? FileDigests.update(file, Long.MAX_VALUE, sha256)
                : FileDigests.update(file, Long.MAX_VALUE, sha256, sha1);
        if (read != sizeBytes) {
            throw new IOException(file + " changed while it was read: " + sizeBytes + " bytes before, " + read
                    + " read");
        }
        return new FileHashes(read, FileDigests.hex(sha256.digest()), sha1 == null ? null : FileDigests.hex(sha1.digest()));
    }

    /** The hashes needed to check {@code file} against {@code etag}: its sha256, and its git blob id for a git etag. */
    static FileHashes hashFor(Path file, String etag) throws IOException {
        return hash(file, !Names.isSha256(etag));
    }

    private static MessageDigest gitBlobDigest(long sizeBytes) {
        MessageDigest sha1 = FileDigests.newDigest("SHA-1");
        sha1.update(("blob " + sizeBytes + "\0").getBytes(StandardCharsets.US_ASCII));
        return sha1;
    }
}
