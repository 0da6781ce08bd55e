package dev.speakerembedding.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDigestsTest {

    @TempDir
    Path tmp;

    @Test
    void sha256OfAFileIsTheStandardOne() throws Exception {
        Path file = Files.writeString(tmp.resolve("abc"), "abc", StandardCharsets.US_ASCII);
        // FIPS 180-2, appendix B.1
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileDigests.sha256(file));
    }

    @Test
    void oneReadFeedsEveryDigestUpToTheLimit() throws Exception {
        byte[] content = new byte[200_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31);
        }
        Path file = Files.write(tmp.resolve("data"), content);
        MessageDigest sha256 = FileDigests.newDigest("SHA-256");
        MessageDigest sha1 = FileDigests.newDigest("SHA-1");

        assertEquals(150_000, FileDigests.update(file, 150_000, sha256, sha1));

        byte[] prefix = java.util.Arrays.copyOf(content, 150_000);
        assertEquals(FileDigests.hex(MessageDigest.getInstance("SHA-256").digest(prefix)), FileDigests.hex(sha256.digest()));
        assertEquals(FileDigests.hex(MessageDigest.getInstance("SHA-1").digest(prefix)), FileDigests.hex(sha1.digest()));
        assertEquals(content.length, FileDigests.update(file, Long.MAX_VALUE, FileDigests.newDigest("SHA-256")));
    }
}
