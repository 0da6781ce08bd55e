package dev.speakerembedding.hub;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A second downloader for {@link ConcurrentDownloadTest}, run in its own JVM:
 * {@code <cacheDir> <endpoint> <repoId>}. Prints READY before fetching and {@code OK <commit>} after.
 */
public final class ConcurrentFetchMain {
    private ConcurrentFetchMain() {
    }

    public static void main(String[] args) throws Exception {
        Path cacheDir = Path.of(args[0]);
        URI endpoint = URI.create(args[1]);
        ModelFetcher fetcher = new ModelFetcher(new HubCache(cacheDir, Duration.ofSeconds(60)),
                new HubClient(TestModels.settings(endpoint)), null);
        System.out.println("READY");
        System.out.flush();
        CachedSnapshot snapshot = fetcher.ensure(new RepoRef(args[2], "main"), TestModels.ECAPA, false);
        System.out.println("OK " + snapshot.commit());
    }
}
