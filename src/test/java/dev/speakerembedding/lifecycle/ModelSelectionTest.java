package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.OfflineCacheMissException;
import dev.speakerembedding.hub.RepoAccessException;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.sherpa.SherpaOnnxFamily;
import dev.speakerembedding.model.speechbrain.SpeechbrainFamily;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the repository's file list is read and what it decides: never for a speechbrain repository or a MODEL_FILE,
 * once after speechbrain's files turn out absent, never again once the model is cached (online or offline).
 */
class ModelSelectionTest {

    @TempDir
    Path tmp;

    private HubStandIn hub;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        hub.addRepo("org/speechbrain", null, files("hyperparams.yaml", "embedding_model.ckpt",
                "mean_var_norm_emb.ckpt", "classifier.ckpt", "label_encoder.txt", "extra.onnx"), false);
        hub.addRepo("org/one", null, files("README.md", "model.onnx"), false);
        hub.addRepo("org/two", null, files("a.onnx", "b/c.onnx"), false);
        hub.addRepo("org/none", null, files("README.md", "weights.safetensors"), false);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private ModelFetcher fetcher(boolean offline) {
        HubSettings settings = new HubSettings(hub.endpoint(), Secret.none(), Duration.ofSeconds(2),
                Duration.ofSeconds(5), 1, Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMillis(50));
        return new ModelFetcher(new HubCache(tmp), offline ? null : new HubClient(settings), null);
    }

    private static ModelSelection selection(String repo, String modelFile, String modelFamily, boolean offline) {
        return new ModelSelection(new RepoRef(repo, "main"), Optional.ofNullable(modelFile),
                Optional.ofNullable(modelFamily), offline);
    }

    private List<String> paths() {
        return hub.requests(HubStandIn.HUB).stream().map(r -> r.method() + " " + r.path()).toList();
    }

    @Test
    void aSpeechbrainRepositoryIsNeverListed() throws Exception {
        ModelSelection.Selected selected = selection("org/speechbrain", null, null, false).acquire(fetcher(false));

        assertEquals(SpeechbrainFamily.INSTANCE, selected.family());
        assertEquals(5, hub.requests(HubStandIn.HUB).stream().filter(r -> r.method().equals("HEAD")).count());
        assertTrue(paths().stream().noneMatch(p -> p.contains("/api/")), paths().toString());
    }

    @Test
    void modelFileIsFetchedWithoutListing() throws Exception {
        ModelSelection.Selected selected = selection("org/two", "b/c.onnx", null, false).acquire(fetcher(false));

        assertEquals(List.of("b/c.onnx"), selected.files().required());
        assertEquals(List.of("HEAD /org/two/resolve/main/b/c.onnx"), paths());
    }

    @Test
    void theOnlyOnnxFileIsFoundAfterSpeechbrainsFilesAreMissingThenServedFromTheCache() throws Exception {
        ModelSelection.Selected selected = selection("org/one", null, null, false).acquire(fetcher(false));

        assertTrue(selected.family() instanceof SherpaOnnxFamily, selected.family().toString());
        assertEquals(List.of("model.onnx"), selected.files().required());
        assertEquals(List.of("model.onnx"), List.copyOf(selected.snapshot().files().keySet()));
        assertEquals(List.of("HEAD /org/one/resolve/main/hyperparams.yaml", "GET /api/models/org/one/revision/main",
                "HEAD /org/one/resolve/main/model.onnx"), paths());

        hub.stop();
        assertEquals(List.of("model.onnx"), selection("org/one", null, null, false).acquire(fetcher(false)).files()
                .required(), "online, the cached snapshot decides without a request");
        assertEquals(List.of("model.onnx"), selection("org/one", null, null, true).acquire(fetcher(true)).files()
                .required());
    }

    @Test
    void modelFamilyWithoutModelFileListsAtOnce() throws Exception {
        ModelSelection.Selected selected = selection("org/one", null, "wespeaker", false).acquire(fetcher(false));

        assertEquals(List.of("model.onnx"), selected.files().required());
        assertEquals(List.of("GET /api/models/org/one/revision/main", "HEAD /org/one/resolve/main/model.onnx"),
                paths());
    }

    @Test
    void severalOnnxFilesAreListedInTheError() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> selection("org/two", null, null, false).acquire(fetcher(false)));

        assertTrue(e.getMessage().contains("2 .onnx files (a.onnx, b/c.onnx)") && e.getMessage()
                .contains("set MODEL_FILE"), e.getMessage());
        assertTrue(e.getMessage().contains(hub.commit("org/two")), "names the commit listed: " + e.getMessage());
        assertTrue(hub.requests(HubStandIn.CDN).isEmpty(), "nothing downloaded");
    }

    @Test
    void aRepositoryWithoutAModelNamesWhatItHoldsAndWhatIsSupported() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> selection("org/none", null, null, false).acquire(fetcher(false)));

        assertTrue(e.getMessage().contains("README.md, weights.safetensors") && e.getMessage().contains("supported:")
                && e.getMessage().contains("hyperparams.yaml"), e.getMessage());
    }

    @Test
    void aMissingRepositoryIsNotListedAndOfflineWithoutCacheIsTheUsualMiss() {
        // Without a token the Hub answers 401 for a repository it does not show, as for a private one.
        RepoAccessException missing = assertThrows(RepoAccessException.class,
                () -> selection("org/missing", null, null, false).acquire(fetcher(false)));
        assertTrue(missing.getMessage().contains("org/missing"), missing.getMessage());
        assertTrue(paths().stream().noneMatch(p -> p.contains("/api/")), paths().toString());

        assertThrows(OfflineCacheMissException.class, () -> selection("org/one", null, null, true)
                .acquire(fetcher(true)));
        assertThrows(OfflineCacheMissException.class, () -> selection("org/one", null, "nemo", true)
                .acquire(fetcher(true)));
    }

    private static Map<String, byte[]> files(String... names) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : names) {
            files.put(name, ("content of " + name).getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }
}
