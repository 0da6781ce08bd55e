package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

/** A repository's file list: the Hub API's model info read as huggingface_hub reads it, and a cached snapshot's. */
class RepoListingTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;

    private HubStandIn hub;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private static RepoListing parse(String json) throws HubException {
        return RepoListing.fromModelInfo(TestModels.main(), new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                "test");
    }

    /** The shape of huggingface.co's answer (abridged): sha and siblings among many other fields, in any order. */
    @Test
    void modelInfoGivesTheCommitAndEveryFileSorted() throws Exception {
        RepoListing listing = parse("{\"_id\":\"x\",\"id\":\"org/name\",\"siblings\":[{\"rfilename\":\"b/c.onnx\"},"
                + "{\"rfilename\":\".gitattributes\",\"size\":null},{\"rfilename\":\"README.md\",\"lfs\":{\"sha256\":"
                + "\"aa\",\"size\":3}}],\"cardData\":{\"tags\":[\"a\",{\"nested\":[1,2,{\"x\":null}]}]},"
                + "\"sha\":\"" + COMMIT + "\",\"downloads\":12,\"private\":false}");

        assertEquals(COMMIT, listing.commit());
        assertEquals(List.of(".gitattributes", "README.md", "b/c.onnx"), listing.files());
    }

    @Test
    void namesTheServiceWouldNeverFetchAreLeftOut() throws Exception {
        RepoListing listing = parse("{\"sha\":\"" + COMMIT + "\",\"siblings\":[{\"rfilename\":\"../escape\"},"
                + "{\"rfilename\":\"/abs\"},{\"rfilename\":\"ok.onnx\"}]}");

        assertEquals(List.of("ok.onnx"), listing.files());
    }

    @Test
    void anAnswerThatIsNotModelInfoIsRefusedWithTheReason() {
        HubException notJson = assertThrows(HubUnavailableException.class, () -> parse("<html>proxy login</html>"));
        assertTrue(notJson.getMessage().contains("not the Hub's model info") && notJson.getMessage()
                .contains("HF_ENDPOINT"), notJson.getMessage());
        HubException noSiblings = assertThrows(HubUnavailableException.class,
                () -> parse("{\"sha\":\"" + COMMIT + "\"}"));
        assertTrue(noSiblings.getMessage().contains("'siblings'"), noSiblings.getMessage());
        HubException truncated = assertThrows(HubUnavailableException.class,
                () -> parse("{\"sha\":\"" + COMMIT + "\",\"siblings\":[{\"rfilename\":\"a"));
        assertTrue(truncated.getMessage().contains("unreadable JSON"), truncated.getMessage());
        assertThrows(UnsafeNameException.class, () -> parse("{\"sha\":\"../../etc\",\"siblings\":[]}"));
    }

    @Test
    void listingUrlIsHuggingfaceHubsModelInfoUrl() {
        HubClient onHub = new HubClient(TestModels.settings(URI.create("https://huggingface.co")));

        assertEquals("https://huggingface.co/api/models/org/name/revision/main",
                onHub.listingUrl(new RepoRef("org/name", "main")).toString());
        assertEquals("https://huggingface.co/api/models/org/name/revision/refs%2Fpr%2F1",
                onHub.listingUrl(new RepoRef("org/name", "refs/pr/1")).toString());
    }

    @Test
    void theClientListsTheStandInsRepositoryWithOneGet() throws Exception {
        String commit = hub.addRepo(REPO, null, files("a.onnx", "sub dir/b.onnx", "README.md"), false);

        RepoListing listing = new HubClient(TestModels.settings(hub.endpoint())).listFiles(TestModels.main());

        assertEquals(commit, listing.commit());
        assertEquals(List.of("README.md", "a.onnx", "sub dir/b.onnx"), listing.files());
        List<RecordedRequest> requests = hub.requests();
        assertEquals(1, requests.size());
        assertEquals("GET", requests.get(0).method());
        assertEquals("/api/models/" + REPO + "/revision/main", requests.get(0).path());
        assertFalse(requests.get(0).hasAuthorization(), "no token configured, none sent");
    }

    @Test
    void aRenamedRepositoryIsFollowedAndAGatedOneGetsTheToken() throws Exception {
        String commit = hub.addRepo("org/new-name", null, files("m.onnx"), true);
        hub.renameRepo("org/old-name", "org/new-name");
        hub.setValidToken("hf_secret");
        HubClient withToken = new HubClient(TestModels.settings(hub.endpoint()).withToken(Secret.of("hf_secret")));

        RepoListing listing = withToken.listFiles(new RepoRef("org/old-name", "main"));

        assertEquals(commit, listing.commit());
        assertEquals(List.of("m.onnx"), listing.files());
        assertTrue(hub.requests().stream().allMatch(RecordedRequest::hasAuthorization));
        RepoAccessException refused = assertThrows(RepoAccessException.class,
                () -> new HubClient(TestModels.settings(hub.endpoint())).listFiles(new RepoRef("org/new-name", "main")));
        assertTrue(refused.getMessage().contains("HF_TOKEN"), refused.getMessage());
    }

    @Test
    void missingRepositoryAndRevisionAreToldApartAndServerErrorsAreRetried() throws Exception {
        hub.addRepo(REPO, null, files("a.onnx"), false);
        hub.setValidToken("t");
        HubClient client = new HubClient(TestModels.settings(hub.endpoint()).withToken(Secret.of("t")));

        RepoNotFoundException repo = assertThrows(RepoNotFoundException.class,
                () -> client.listFiles(new RepoRef("org/missing", "main")));
        assertEquals(RepoNotFoundException.Missing.REPOSITORY, repo.missing());
        RepoNotFoundException revision = assertThrows(RepoNotFoundException.class,
                () -> client.listFiles(new RepoRef(REPO, "v9")));
        assertEquals(RepoNotFoundException.Missing.REVISION, revision.missing());

        hub.clearRequests();
        hub.failNext(2, 503);
        assertEquals(List.of("a.onnx"), client.listFiles(TestModels.main()).files());
        assertEquals(3, hub.requests().size(), "two 503s, then the listing");

        hub.failNext(10, 500);
        HubUnavailableException down = assertThrows(HubUnavailableException.class,
                () -> client.listFiles(TestModels.main()));
        assertTrue(down.getMessage().contains("failed after 4 attempts"), down.getMessage());
        assertTrue(down.retryable());
    }

    @Test
    void theCachedSnapshotIsListedWithoutTheHubAndOfflineListingNeedsOne() throws Exception {
        String commit = hub.addRepo(REPO, null, files("a.onnx", "b.onnx", "sub/c.txt"), false);
        ModelFetcher online = TestModels.fetcher(tmp, hub.endpoint());
        online.ensure(TestModels.main(), new RepoFiles(List.of("a.onnx", "sub/c.txt"), List.of()), false);
        hub.stop();
        ModelFetcher offline = new ModelFetcher(new HubCache(tmp, Duration.ofSeconds(5)), null, null);

        RepoListing listing = offline.listFiles(TestModels.main(), true);

        assertEquals(commit, listing.commit());
        assertEquals(List.of("a.onnx", "sub/c.txt"), listing.files(), "what the snapshot holds, not the whole repo");
        assertEquals(Optional.of(listing), offline.cachedListing(TestModels.main()));

        // A link whose blob is gone does not count.
        Path blobs = tmp.resolve(TestModels.main().folderName()).resolve("blobs");
        try (var stream = Files.list(blobs)) {
            for (Path blob : stream.toList()) {
                if (Files.size(blob) == "a.onnx".length() + 3) {
                    Files.delete(blob);
                }
            }
        }
        assertEquals(List.of("sub/c.txt"), offline.listFiles(TestModels.main(), true).files());

        OfflineCacheMissException miss = assertThrows(OfflineCacheMissException.class,
                () -> offline.listFiles(new RepoRef("org/other", "main"), true));
        assertTrue(miss.getMessage().contains("org/other") && miss.getMessage().contains("HF_HUB_OFFLINE"),
                miss.getMessage());
        assertEquals(Optional.empty(), offline.cachedListing(new RepoRef("org/other", "main")));
    }

    /** Each file's content is its name and "!!!", so sizes tell them apart. */
    private static Map<String, byte[]> files(String... names) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : names) {
            files.put(name, (name + "!!!").getBytes(StandardCharsets.UTF_8));
        }
        return files;
    }
}
