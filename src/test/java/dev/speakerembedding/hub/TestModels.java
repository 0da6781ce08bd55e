package dev.speakerembedding.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Model files and settings shared by the hub tests. */
final class TestModels {
    static final String REPO = "speechbrain/spkrec-ecapa-voxceleb";
    static final RepoFiles ECAPA = new RepoFiles(List.of("hyperparams.yaml", "embedding_model.ckpt",
            "mean_var_norm_emb.ckpt", "classifier.ckpt", "label_encoder.txt"), List.of());

    private TestModels() {
    }

    /** Files of an ECAPA repo: two small text files and three .ckpt files the stand-in serves as LFS files. */
    static Map<String, byte[]> ecapaFiles(long seed) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("hyperparams.yaml", ("# stand-in hyperparams " + seed + "\nsample_rate: 16000\nn_mels: 80\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put("label_encoder.txt", ("'id10001' => 0\n'id10002' => 1\n================\n'starting_index' => 0\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put("embedding_model.ckpt", randomBytes(seed, 300_000));
        files.put("mean_var_norm_emb.ckpt", randomBytes(seed + 1, 3_000));
        files.put("classifier.ckpt", randomBytes(seed + 2, 40_000));
        return files;
    }

    static byte[] randomBytes(long seed, int sizeBytes) {
        byte[] bytes = new byte[sizeBytes];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Settings for tests: short timeouts, 3 retries, 10 ms backoff base. */
    static HubSettings settings(URI endpoint) {
        return new HubSettings(endpoint, Secret.none(), Duration.ofSeconds(2), Duration.ofSeconds(5), 3,
                Duration.ofMillis(20), Duration.ofMillis(10), Duration.ofSeconds(3));
    }

    static ModelFetcher fetcher(Path cacheDir, URI endpoint) {
        return new ModelFetcher(new HubCache(cacheDir, Duration.ofSeconds(30)), new HubClient(settings(endpoint)), null);
    }

    static RepoRef main() {
        return new RepoRef(REPO, "main");
    }

    /** Every file under {@code dir}, relative, sorted; symlinks listed, not followed. */
    static List<String> tree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .map(p -> dir.relativize(p).toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Collects what the hub package logs, formatted with its parameters. */
    static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger("dev.speakerembedding.hub");
        private final Level previous = logger.getLevel();
        private final List<String> lines = new ArrayList<>();
        private final SimpleFormatter formatter = new SimpleFormatter();

        LogCapture() {
            setLevel(Level.ALL);
            logger.setLevel(Level.ALL);
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            lines.add(formatter.format(record));
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setLevel(previous);
        }
    }
}
