package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn.RecordedRequest;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RepoFile;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HubProtocolTest {
    private HubStandIn hub;
    private String commit;
    private HubClient client;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        commit = hub.addRepo(REPO, null, TestModels.ecapaFiles(5), false);
        client = new HubClient(TestModels.settings(hub.endpoint()));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void resolveUrlQuotesRevisionFullyAndFilenameKeepingSlashes() throws Exception {
        HubClient onHub = new HubClient(TestModels.settings(URI.create("https://huggingface.co/")));

        assertEquals("https://huggingface.co/org/name/resolve/main/hyperparams.yaml",
                onHub.resolveUrl(new RepoRef("org/name", "main"), "hyperparams.yaml").toString());
        assertEquals("https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/sub%20dir/f%C3%BCr%2Bx%3Fy.json",
                onHub.resolveUrl(new RepoRef("org/name", "refs/pr/1"), "sub dir/für+x?y.json").toString());
        assertEquals("https://huggingface.co/gpt2/resolve/v1.0/config.json",
                onHub.resolveUrl(new RepoRef("gpt2", "v1.0"), "config.json").toString());
    }

    @Test
    void headOfAnLfsFileReadsTheLinkedHeadersAndStopsAtTheCdnRedirect() throws Exception {
        RepoFile ckpt = hub.file(REPO, "classifier.ckpt");

        FileMetadata meta = client.head(TestModels.main(), "classifier.ckpt");

        assertEquals(commit, meta.commit());
        assertEquals(ckpt.sha256(), meta.etag(), "X-Linked-Etag wins over the pointer's ETag");
        assertEquals(40_000, meta.sizeBytes(), "X-Linked-Size wins over the redirect's Content-Length");
        assertTrue(meta.isLfs());
        assertEquals(hub.cdnEndpoint().getAuthority(), meta.location().getAuthority());
        assertFalse(meta.toString().contains("Signature"), "the signed URL's query stays out of toString");
        assertEquals(1, hub.requestCount(), "the CDN redirect is not followed by the HEAD");
    }

    @Test
    void headOfASmallFileReadsEtagAndContentLength() throws Exception {
        RepoFile yaml = hub.file(REPO, "hyperparams.yaml");

        FileMetadata meta = client.head(TestModels.main(), "hyperparams.yaml");

        assertEquals(yaml.gitSha1(), meta.etag());
        assertEquals(yaml.sizeBytes(), meta.sizeBytes());
        assertFalse(meta.isLfs());
        assertEquals(hub.endpoint().getAuthority(), meta.location().getAuthority());
    }

    @Test
    void everyRequestAsksForIdentityEncodingAndNamesOurClient() throws Exception {
        FileMetadata meta = client.head(TestModels.main(), "embedding_model.ckpt");
        client.download(TestModels.main(), "embedding_model.ckpt", meta,
                java.nio.file.Files.createTempFile("hub-protocol", ".tmp"), null);

        for (RecordedRequest request : hub.requests()) {
            assertEquals("identity", request.header("Accept-Encoding").orElse(null), request.toString());
            String userAgent = request.header("User-Agent").orElse("");
            assertTrue(userAgent.startsWith("speaker-embedding/"), userAgent);
            assertTrue(userAgent.contains("; java/"), userAgent);
        }
    }

    @Test
    void etagsAreNormalizedAsHuggingfaceHubDoes() {
        assertEquals("abc", Names.normalizeEtag("W/\"abc\""));
        assertEquals("abc", Names.normalizeEtag("\"abc\""));
        assertEquals("abc", Names.normalizeEtag("abc"));
    }

    @Test
    void smallFileGetIsPinnedToTheCommitTheHeadResolved() throws Exception {
        FileMetadata meta = client.head(TestModels.main(), "label_encoder.txt");
        // the branch moves on between the HEAD and the GET
        hub.addRepo(REPO, null, Map.of("label_encoder.txt", "other".getBytes()), false);
        java.nio.file.Path target = java.nio.file.Files.createTempFile("hub-protocol", ".tmp");

        client.download(TestModels.main(), "label_encoder.txt", meta, target, null);

        RecordedRequest get = hub.requests().get(hub.requestCount() - 1);
        assertEquals("/" + REPO + "/resolve/" + commit + "/label_encoder.txt", get.path());
        assertEquals(meta.etag(), Hashing.hash(target, true).gitBlobSha1());
    }
}
