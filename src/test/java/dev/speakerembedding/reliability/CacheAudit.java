package dev.speakerembedding.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Checks the one invariant the cache must never break, whatever happens to the process or the network: <b>a final
 * name only ever holds the right content</b>. Final names are {@code blobs/<etag>} (content hashes to the name),
 * snapshot entries (resolve to such a blob, or to the expected content), {@code refs/*} (a 40-hex commit) and
 * a converted {@code model.onnx} whose {@code model.onnx.complete} sidecar exists (content hashes to the sidecar's
 * sha256). Temp files ({@code *.incomplete}, {@code .tmp-*}, {@code *.tmp}) may hold anything.
 */
final class CacheAudit {

    /** What one pass found. {@code wrong} lists every final name with the wrong content: it must stay empty. */
    record Result(int finalBlobs, List<String> wrong, int temps, long tempBytes, int danglingLinks,
                  boolean refPresent) {
        boolean clean() {
            return wrong.isEmpty();
        }

        @Override
        public String toString() {
            return finalBlobs + " final blobs, " + wrong.size() + " wrong" + (wrong.isEmpty() ? "" : " " + wrong)
                    + ", " + temps + " temp files (" + tempBytes + " bytes), " + danglingLinks + " dangling links, ref "
                    + (refPresent ? "present" : "absent");
        }
    }

    /** Hashes by (path, size, modification time, file key), so a watcher polling every few ms hashes each file once. */
    private final Map<String, String> hashMemo = new ConcurrentHashMap<>();
    private final Path cache;
    private final String repoFolder;

    CacheAudit(Path cache, String repoFolder) {
        this.cache = cache;
        this.repoFolder = repoFolder;
    }

    Result audit() {
        Path repo = cache.resolve(repoFolder);
        List<String> wrong = new ArrayList<>();
        int finalBlobs = 0;
        int temps = 0;
        long tempBytes = 0;
        int dangling = 0;
        for (Path blob : list(repo.resolve("blobs"))) {
            String name = blob.getFileName().toString();
            try {
                if (isEtag(name)) {
                    finalBlobs++;
                    String actual = hash(blob, name.length() == 64 ? "SHA-256" : "git-sha1");
                    if (actual != null && !actual.equals(name)) {
                        wrong.add("blobs/" + name + " holds " + actual);
                    }
                } else {
                    temps++;
                    tempBytes += Files.size(blob);
                }
            } catch (NoSuchFileException vanished) {
                // renamed or deleted between the listing and the look: not a final name any more
            } catch (IOException e) {
                wrong.add("blobs/" + name + " unreadable: " + e);
            }
        }
        for (Path snapshot : list(repo.resolve("snapshots"))) {
            for (Path entry : list(snapshot)) {
                String rel = "snapshots/" + snapshot.getFileName() + "/" + entry.getFileName();
                try {
                    if (Files.isSymbolicLink(entry)) {
                        Path target = entry.getParent().resolve(Files.readSymbolicLink(entry)).normalize();
                        if (!target.getParent().equals(repo.resolve("blobs")) || !isEtag(target.getFileName().toString())) {
                            wrong.add(rel + " links outside blobs/: " + target);
                        } else if (!Files.exists(target)) {
                            // a repair deletes the bad blob before its link; absent content is not wrong content
                            dangling++;
                        }
                    } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                            && !entry.getFileName().toString().startsWith(".")) {
                        // a copy where symlinks are impossible: must equal some blob
                        String sha = hash(entry, "SHA-256");
                        String sha1 = hash(entry, "git-sha1");
                        if (sha != null && !Files.exists(repo.resolve("blobs").resolve(sha))
                                && !Files.exists(repo.resolve("blobs").resolve(sha1))) {
                            wrong.add(rel + " is a copy matching no blob");
                        }
                    }
                } catch (NoSuchFileException vanished) {
                    // replaced by an atomic rename while we looked
                } catch (IOException e) {
                    wrong.add(rel + " unreadable: " + e);
                }
            }
        }
        boolean refPresent = false;
        for (Path ref : list(repo.resolve("refs"))) {
            try {
                String content = Files.readString(ref, StandardCharsets.UTF_8).strip();
                refPresent = true;
                if (!content.matches("[0-9a-f]{40}")) {
                    wrong.add("refs/" + ref.getFileName() + " holds '" + content + "'");
                }
            } catch (NoSuchFileException vanished) {
                // replaced while we looked
            } catch (IOException e) {
                wrong.add("refs/" + ref.getFileName() + " unreadable: " + e);
            }
        }
        for (Path entry : list(cache.resolve(".onnx"))) {
            Path sidecar = entry.resolve("model.onnx.complete");
            Path model = entry.resolve("model.onnx");
            if (Files.isRegularFile(sidecar) && Files.isRegularFile(model)) {
                try {
                    Properties p = new Properties();
                    p.load(new StringReader(Files.readString(sidecar, StandardCharsets.UTF_8)));
                    String actual = hash(model, "SHA-256");
                    if (actual != null && !actual.equals(p.getProperty("sha256"))) {
                        wrong.add(".onnx/" + entry.getFileName() + "/model.onnx holds " + actual + ", sidecar says "
                                + p.getProperty("sha256"));
                    }
                } catch (NoSuchFileException vanished) {
                    // rewritten while we looked
                } catch (IOException e) {
                    wrong.add(".onnx/" + entry.getFileName() + " unreadable: " + e);
                }
            }
        }
        return new Result(finalBlobs, wrong, temps, tempBytes, dangling, refPresent);
    }

    /** Every required file is in the snapshot of {@code commit} with exactly {@code expectedSha256}'s content. */
    List<String> missingOrWrong(String commit, Map<String, String> expectedSha256) {
        List<String> problems = new ArrayList<>();
        Path snapshot = cache.resolve(repoFolder).resolve("snapshots").resolve(commit);
        for (Map.Entry<String, String> e : expectedSha256.entrySet()) {
            Path file = snapshot.resolve(e.getKey());
            try {
                String actual = hash(file, "SHA-256");
                if (!e.getValue().equals(actual)) {
                    problems.add(e.getKey() + " holds " + actual);
                }
            } catch (IOException ex) {
                problems.add(e.getKey() + " missing (" + ex.getClass().getSimpleName() + ")");
            }
        }
        return problems;
    }

    private String hash(Path file, String algorithm) throws IOException {
        Path real = file.toRealPath();
        BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class);
        String key = algorithm + "|" + real + "|" + attrs.size() + "|" + attrs.lastModifiedTime().toMillis() + "|"
                + attrs.fileKey();
        String memo = hashMemo.get(key);
        if (memo != null) {
            return memo;
        }
        MessageDigest digest = digest(algorithm.equals("git-sha1") ? "SHA-1" : algorithm);
        if (algorithm.equals("git-sha1")) {
            digest.update(("blob " + attrs.size() + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        long read = 0;
        try (InputStream in = Files.newInputStream(real)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                read += n;
            }
        }
        if (read != attrs.size()) {
            return null; // changed while read (a temp being written, a blob being replaced): look again next pass
        }
        String hex = HexFormat.of().formatHex(digest.digest());
        hashMemo.put(key, hex);
        return hex;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = digest("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isEtag(String name) {
        return name.matches("[0-9a-f]{40}|[0-9a-f]{64}");
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Audits the cache continuously on its own thread while something happens to it, and keeps every violation it
     * ever saw: a wrong file that exists for 50 ms and is then repaired still counts.
     */
    static final class Watcher implements AutoCloseable {
        private final CacheAudit audit;
        private final List<String> violations = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stop;
        private volatile int passes;

        Watcher(Path cache, String repoFolder) {
            this.audit = new CacheAudit(cache, repoFolder);
            this.thread = new Thread(this::run, "cache-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            while (!stop) {
                Result r = audit.audit();
                for (String w : r.wrong()) {
                    if (!violations.contains(w)) {
                        violations.add(w);
                    }
                }
                passes++;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        List<String> violations() {
            return List.copyOf(violations);
        }

        int passes() {
            return passes;
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(60_000);
        }
    }
}
