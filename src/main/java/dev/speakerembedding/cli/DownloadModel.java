package dev.speakerembedding.cli;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.lifecycle.Components;
import dev.speakerembedding.lifecycle.LoggingDownloadListener;
import dev.speakerembedding.lifecycle.ModelSelection;
import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SpeakerModel;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The pre-download tool behind scripts/download-embedding-model.sh: fetches the configured model into
 * MODEL_CACHE_DIR with the service's own cache code, verifies every file, converts it to ONNX and opens it once in
 * ONNX Runtime. Exit status 0 only when the cache holds a complete, verified, loadable model.
 */
public final class DownloadModel {

    /** Exit codes: 0 complete; 1 download or verification failed; 2 bad configuration; 3 files are not a model. */
    public static void main(String[] args) {
        configureLogging();
        System.exit(run(ServiceConfig.fromEnvironment()));
    }

    static int run(ServiceConfig config) {
        RepoRef ref;
        ModelSelection selection;
        try {
            ref = Components.repoRef(config);
            config.endpoint();
            config.modelPrecision();
            selection = Components.selection(config);
        } catch (HubException | IllegalArgumentException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            return 2;
        }
        System.out.printf("Model %s@%s into %s (offline mode %s)%n", ref.repoId(), ref.revision(), config.cacheDir(),
                config.offline());
        HubCache cache = Components.cache(config);
        ModelFetcher fetcher = new ModelFetcher(cache, Components.client(config), new LoggingDownloadListener());
        CachedSnapshot snapshot;
        ModelFamily family;
        try {
            ModelSelection.Selected selected = selection.acquire(fetcher);
            snapshot = selected.snapshot();
            family = selected.family();
        } catch (HubException e) {
            System.err.println("Download failed: " + e.getMessage());
            return 1;
        } catch (ModelFormatException e) {
            System.err.println("The repository holds no model to serve: " + e.getMessage());
            return 3;
        }
        ModelRuntimeOptions runtime = Components.runtimeOptions(config);
        try (SpeakerModel model = family.load(snapshot.snapshotDir(), Components.sourceFiles(snapshot),
                new ModelLoadSettings(config.convertedModelDir(), runtime, config.modelPrecision()))) {
            System.out.printf("✓ Model cached and verified: %s@%s (commit %s), %d files, %s model, embedding "
                    + "dimension %d%n", ref.repoId(), ref.revision(), snapshot.commit(), snapshot.files().size(),
                    model.family(), model.dimension());
            model.conversion().ifPresent(c -> System.out.printf("  ONNX graph: %s%n", c.onnxPath()));
            return 0;
        } catch (ModelFormatException e) {
            System.err.println("The downloaded files are not a usable model: " + e.getMessage());
            return 3;
        }
    }

    private static void configureLogging() {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s %5$s%6$s%n");
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        handler.setLevel(Level.INFO);
        root.addHandler(handler);
    }
}
