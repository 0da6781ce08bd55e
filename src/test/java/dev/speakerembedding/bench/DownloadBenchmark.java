package dev.speakerembedding.bench;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.model.speechbrain.SpeechbrainEcapa;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.BenchUtil.median;
import static dev.speakerembedding.bench.BenchUtil.millis;

/**
 * Item 2 of the suite, the model's first start, in a process of its own against the Hub stand-in (another process):
 * the service's {@link ModelFetcher} (HEAD requests, streaming to a temp file with the hash computed on the way,
 * fsync, rename, symlinks, the final verification of every file) against a plain {@link HttpClient} fetching the
 * same files from the same server into files, alternated so both see the same machine; then the conversion to
 * ONNX and, for the warm start of item 1, what a load from a complete cache spends where (verification, the
 * conversion lookup, session creation).
 *
 * <p>Usage: {@code DownloadBenchmark --endpoint <hub url> --repo <org/name> --work <dir> --out <file>
 * [--reps 3]}.
 */
public final class DownloadBenchmark {

    private DownloadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = PipelineBenchmark.parse(args);
        URI endpoint = URI.create(PipelineBenchmark.require(a, "--endpoint"));
        RepoRef ref = RepoRef.of(PipelineBenchmark.require(a, "--repo"), "main");
        Path work = Path.of(PipelineBenchmark.require(a, "--work"));
        Path out = Path.of(PipelineBenchmark.require(a, "--out"));
        int reps = Integer.parseInt(a.getOrDefault("--reps", "3"));
        BenchUtil.Results results = new BenchUtil.Results();
        BenchUtil.deleteRecursively(work);
        Files.createDirectories(work);
        try {
            run(endpoint, ref, work, reps, results);
        } finally {
            BenchUtil.deleteRecursively(work);
        }
        results.write(out);
        log("wrote %s", out);
        System.exit(0);
    }

    private static void run(URI endpoint, RepoRef ref, Path work, int reps, BenchUtil.Results results)
            throws Exception {
        HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HubSettings settings = new HubSettings(endpoint, Secret.none(), HubSettings.DEFAULT_CONNECT_TIMEOUT,
                HubSettings.DEFAULT_READ_TIMEOUT, HubSettings.DEFAULT_MAX_RETRIES, Duration.ofSeconds(5));
        HubClient client = new HubClient(settings);

        // one untimed round of each: class loading, JIT, connections, the stand-in's own warm-up
        long bytes = plainFetch(plain, endpoint, ref, work.resolve("warm-plain"));
        fetcherFetch(client, ref, work.resolve("warm-fetcher"), new AtomicLong());
        BenchUtil.deleteRecursively(work.resolve("warm-plain"));
        BenchUtil.deleteRecursively(work.resolve("warm-fetcher"));

        double[] plainMs = new double[reps];
        double[] plainSyncMs = new double[reps];
        double[] fetcherMs = new double[reps];
        double[] ckptMs = new double[reps];
        double[] reverifyMs = new double[reps];
        for (int r = 0; r < reps; r++) {
            Path p = work.resolve("plain-" + r);
            long t0 = System.nanoTime();
            plainFetch(plain, endpoint, ref, p);
            plainMs[r] = millis(System.nanoTime() - t0);
            BenchUtil.deleteRecursively(p);

            // the same plain download made durable (fsync of every file), to show what durability costs
            t0 = System.nanoTime();
            plainFetch(plain, endpoint, ref, p);
            for (String file : Components.FORMAT.allFiles()) {
                try (FileChannel ch = FileChannel.open(p.resolve(file), StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            plainSyncMs[r] = millis(System.nanoTime() - t0);
            BenchUtil.deleteRecursively(p);

            Path c = work.resolve("fetcher-" + r);
            AtomicLong ckpt = new AtomicLong();
            t0 = System.nanoTime();
            CachedSnapshot fetched = fetcherFetch(client, ref, c, ckpt);
            fetcherMs[r] = millis(System.nanoTime() - t0);
            ckptMs[r] = millis(ckpt.get());
            // what the fetcher's closing verification of the whole snapshot costs on its own (files in page cache)
            t0 = System.nanoTime();
            new HubCache(c).verify(fetched);
            reverifyMs[r] = millis(System.nanoTime() - t0);
            if (r < reps - 1) {
                BenchUtil.deleteRecursively(c);
            }
            log("download round %d: plain client %.0f ms (with fsync %.0f ms), service fetcher %.0f ms (checkpoint"
                    + " file %.0f ms; a second verification of the snapshot %.0f ms)", r, plainMs[r], plainSyncMs[r],
                    fetcherMs[r], ckptMs[r], reverifyMs[r]);
        }
        double mb = bytes / 1e6;
        results.put("download.bytes", bytes);
        results.put("download.reps", reps);
        results.put("download.plain_ms", median(plainMs));
        results.put("download.fetcher_ms", median(fetcherMs));
        results.put("download.fetcher_ckpt_ms", median(ckptMs));
        results.put("download.plain_fsync_ms", median(plainSyncMs));
        results.put("download.plain_fsync_mb_s", mb / (median(plainSyncMs) / 1000));
        results.put("download.verify_snapshot_ms", median(reverifyMs));
        results.put("download.plain_mb_s", mb / (median(plainMs) / 1000));
        results.put("download.fetcher_mb_s", mb / (median(fetcherMs) / 1000));
        results.put("download.rate_ratio", median(plainMs) / median(fetcherMs));
        log("download %.1f MB: plain %.0f ms (%.0f MB/s), fetcher %.0f ms (%.0f MB/s): %.0f %% of the plain rate", mb,
                median(plainMs), mb / (median(plainMs) / 1000), median(fetcherMs), mb / (median(fetcherMs) / 1000),
                100 * median(plainMs) / median(fetcherMs));

        // Conversion of the downloaded checkpoint, then a load from the complete cache split into its parts.
        Path cacheDir = work.resolve("fetcher-" + (reps - 1));
        CachedSnapshot snapshot = new ModelFetcher(new HubCache(cacheDir), null, null).ensure(ref,
                Components.REPO_FILES, true);
        double[] convertMs = new double[Math.max(1, reps - 1)];
        for (int r = 0; r < convertMs.length; r++) {
            Path converted = work.resolve("converted-" + r);
            long t0 = System.nanoTime();
            ConversionInfo info = EcapaModel.convert(snapshot.snapshotDir(), converted);
            convertMs[r] = millis(System.nanoTime() - t0);
            if (!info.convertedNow()) {
                throw new IllegalStateException("expected a fresh conversion in " + converted);
            }
            log("conversion %d: %.0f ms (%d MB written)", r, convertMs[r], Files.size(info.onnxPath()) >> 20);
        }
        results.put("convert.ms", median(convertMs));
        Path converted = work.resolve("converted-0");
        results.put("convert.onnx_bytes", Files.size(EcapaModel.convert(snapshot.snapshotDir(), converted).onnxPath()));

        double[] verifyMs = new double[reps];
        double[] lookupMs = new double[reps];
        double[] loadMs = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            CachedSnapshot s = new ModelFetcher(new HubCache(cacheDir), null, null).ensure(ref, Components.REPO_FILES,
                    true);
            long t1 = System.nanoTime();
            EcapaModel.convert(s.snapshotDir(), converted);
            long t2 = System.nanoTime();
            try (EcapaModel ignored = EcapaModel.load(s.snapshotDir(), converted, ModelRuntimeOptions.defaults())) {
                long t3 = System.nanoTime();
                verifyMs[r] = millis(t1 - t0);
                lookupMs[r] = millis(t2 - t1);
                loadMs[r] = millis(t3 - t2);
            }
        }
        results.put("warmload.verify_ms", median(verifyMs));
        results.put("warmload.conversion_lookup_ms", median(lookupMs));
        results.put("warmload.load_ms", median(loadMs));
        results.put("warmload.session_ms", median(loadMs) - median(lookupMs));
        log("warm load: verify cache %.0f ms, conversion lookup (hashes) %.0f ms, EcapaModel.load %.0f ms"
                + " (of which session ~%.0f ms)", median(verifyMs), median(lookupMs), median(loadMs),
                median(loadMs) - median(lookupMs));
    }

    /** GETs every file of the model format, following the redirect to the CDN, into {@code dir}; returns bytes. */
    static long plainFetch(HttpClient http, URI endpoint, RepoRef ref, Path dir) throws Exception {
        Files.createDirectories(dir);
        long total = 0;
        for (String file : Components.FORMAT.allFiles()) {
            URI uri = URI.create(endpoint + "/" + ref.repoId() + "/resolve/" + ref.revision() + "/" + file);
            HttpResponse<Path> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .GET().build(), HttpResponse.BodyHandlers.ofFile(dir.resolve(file)));
            if (response.statusCode() != 200) {
                throw new IllegalStateException(uri + " answered " + response.statusCode());
            }
            total += Files.size(response.body());
        }
        return total;
    }

    static CachedSnapshot fetcherFetch(HubClient client, RepoRef ref, Path cacheDir, AtomicLong checkpointNanos)
            throws Exception {
        DownloadListener listener = new DownloadListener() {
            @Override
            public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
            }

            @Override
            public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
                if (file.equals(SpeechbrainEcapa.CHECKPOINT_FILE)) {
                    checkpointNanos.set(took.toNanos());
                }
            }
        };
        return new ModelFetcher(new HubCache(cacheDir), client, listener).ensure(ref, Components.REPO_FILES, false);
    }
}
