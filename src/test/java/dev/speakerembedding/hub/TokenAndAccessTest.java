package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.ECAPA;
import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn;
import dev.speakerembedding.testing.hubstandin.HubStandIn.RecordedRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenAndAccessTest {
    private static final String TOKEN = "hf_standInSecretToken0123456789";

    @TempDir
    Path cacheDir;

    private HubStandIn hub;
    private String commit;

    @BeforeEach
    void startHub() throws Exception {
        hub = HubStandIn.start();
        hub.setValidToken(TOKEN);
        commit = hub.addRepo(REPO, null, TestModels.ecapaFiles(3), true);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private ModelFetcher fetcher(Secret token) {
        HubSettings settings = TestModels.settings(hub.endpoint()).withToken(token);
        return new ModelFetcher(new HubCache(cacheDir), new HubClient(settings), null);
    }

    @Test
    void tokenGoesToTheHubButNotToTheCdnAfterTheRedirect() throws Exception {
        fetcher(Secret.of(TOKEN)).ensure(TestModels.main(), ECAPA, false);

        List<RecordedRequest> hubRequests = hub.requests(HubStandIn.HUB);
        List<RecordedRequest> cdnRequests = hub.requests(HubStandIn.CDN);
        assertEquals(7, hubRequests.size(), "5 HEADs + 2 GETs of small files");
        assertEquals(3, cdnRequests.size(), "3 LFS files from the CDN");
        for (RecordedRequest request : hubRequests) {
            assertEquals("Bearer " + TOKEN, request.header("Authorization").orElse(null), request.toString());
            assertEquals(hub.endpoint().getAuthority(), request.hostPort());
        }
        for (RecordedRequest request : cdnRequests) {
            assertFalse(request.hasAuthorization(), "no Authorization to " + request.hostPort());
            assertEquals(hub.cdnEndpoint().getAuthority(), request.hostPort());
        }
    }

    @Test
    void gatedRepoWithoutTokenIsRefusedWithAMessageAboutHfToken() {
        RepoAccessException e = assertThrows(RepoAccessException.class,
                () -> fetcher(Secret.none()).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.getMessage().startsWith("Repository " + REPO + " is gated or private: set HF_TOKEN to a token"
                + " that has access"), e.getMessage());
        assertTrue(e.getMessage().contains("401 GatedRepo"), e.getMessage());
        assertFalse(e.retryable());
        assertEquals(1, hub.requestCount(), "401 is not retried");
    }

    @Test
    void gatedRepoWithWrongTokenIsRefusedWithoutRevealingTheToken() {
        String wrong = "hf_wrongTokenThatMustNotLeak42";
        RepoAccessException e = assertThrows(RepoAccessException.class,
                () -> fetcher(Secret.of(wrong)).ensure(TestModels.main(), ECAPA, false));

        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("403"), e.getMessage());
        assertFalse(stackTrace(e).contains(wrong));
        assertEquals(1, hub.requestCount(), "403 is not retried");
    }

    @Test
    void gatedRepoWithTheRightTokenIsDownloaded() throws Exception {
        CachedSnapshot snapshot = fetcher(Secret.of(TOKEN)).ensure(TestModels.main(), ECAPA, false);

        assertEquals(commit, snapshot.commit());
        assertEquals(5, snapshot.files().size());
    }

    @Test
    void tokenAppearsInNoLogLineNoMessageAndNoToString() throws Exception {
        List<String> texts = new ArrayList<>();
        try (TestModels.LogCapture log = new TestModels.LogCapture()) {
            hub.failNext(1, 503);
            hub.cutNextBodies(1, 1000);
            ModelFetcher fetcher = fetcher(Secret.of(TOKEN));
            fetcher.ensure(TestModels.main(), ECAPA, false);
            HubException notFound = assertThrows(HubException.class,
                    () -> fetcher.ensure(new RepoRef("org/missing", "main"), ECAPA, false));
            texts.add(stackTrace(notFound));
            hub.failNext(100, 500);
            HubException unavailable = assertThrows(HubException.class,
                    () -> fetcher(Secret.of(TOKEN)).ensure(new RepoRef(REPO, "v2"), ECAPA, false));
            texts.add(stackTrace(unavailable));
            texts.addAll(log.lines());
        }
        HubSettings settings = TestModels.settings(hub.endpoint()).withToken(Secret.of(TOKEN));
        texts.add(settings.toString());
        texts.add(Secret.of(TOKEN).toString());
        texts.add(new HubClient(settings).toString());

        assertTrue(texts.size() > 5);
        assertTrue(texts.stream().anyMatch(t -> t.contains("retry")), "the retries were logged");
        for (String text : texts) {
            assertFalse(text.contains(TOKEN), "token leaked into: " + text);
            assertFalse(text.contains("standInSecret"), "part of the token leaked into: " + text);
        }
        assertTrue(settings.toString().contains("token=***"), settings.toString());
    }

    @Test
    void secretShowsOnlyStarsOrNone() {
        assertEquals("***", Secret.of(TOKEN).toString());
        assertEquals("(none)", Secret.none().toString());
        assertEquals("(none)", Secret.of("  ").toString());
        assertEquals("(none)", Secret.of(null).toString());
        assertTrue(Secret.of(TOKEN).isPresent());
        assertFalse(Secret.none().isPresent());
        assertEquals(TOKEN, Secret.of(" " + TOKEN + "\n").reveal());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Secret.of("hf_a\r\nX-Evil: 1"));
        assertFalse(e.getMessage().contains("hf_a"), e.getMessage());
    }

    @Test
    void tokenIsNotSentToAnotherPortOfTheSameHost() throws Exception {
        try (HubStandIn sameHost = HubStandIn.startWithCdnOnSameHost()) {
            sameHost.setValidToken(TOKEN);
            sameHost.addRepo(REPO, null, TestModels.ecapaFiles(3), true);
            URI endpoint = sameHost.endpoint();
            URI cdn = sameHost.cdnEndpoint();
            assertEquals(endpoint.getHost(), cdn.getHost(), "same host, other port: not the endpoint's origin");
            HubSettings settings = TestModels.settings(endpoint).withToken(Secret.of(TOKEN));

            new ModelFetcher(new HubCache(cacheDir), new HubClient(settings), null).ensure(TestModels.main(), ECAPA, false);

            assertEquals(3, sameHost.requests(HubStandIn.CDN).size());
            assertTrue(sameHost.requests(HubStandIn.CDN).stream().noneMatch(RecordedRequest::hasAuthorization));
            assertTrue(sameHost.requests(HubStandIn.HUB).stream().allMatch(RecordedRequest::hasAuthorization));
        }
    }

    @Test
    void privateOrMissingRepoWithoutTokenAsksForTokenOrRepoCheck() {
        RepoAccessException e = assertThrows(RepoAccessException.class,
                () -> fetcher(Secret.none()).ensure(new RepoRef("org/missing", "main"), ECAPA, false));

        assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("EMBEDDING_MODEL"), e.getMessage());
    }

    @Test
    void missingRepoWithTokenIsNotFoundNamingTheSettings() {
        RepoNotFoundException e = assertThrows(RepoNotFoundException.class,
                () -> fetcher(Secret.of(TOKEN)).ensure(new RepoRef("org/missing", "main"), ECAPA, false));

        assertEquals(RepoNotFoundException.Missing.REPOSITORY, e.missing());
        assertTrue(e.getMessage().contains("org/missing"), e.getMessage());
        assertTrue(e.getMessage().contains("check EMBEDDING_MODEL / MODEL_REVISION"), e.getMessage());
        assertEquals(1, hub.requestCount(), "404 is not retried");
    }

    @Test
    void missingRevisionIsNotFoundNamingTheSettings() {
        RepoNotFoundException e = assertThrows(RepoNotFoundException.class,
                () -> fetcher(Secret.of(TOKEN)).ensure(new RepoRef(REPO, "v9.9"), ECAPA, false));

        assertEquals(RepoNotFoundException.Missing.REVISION, e.missing());
        assertTrue(e.getMessage().startsWith("Revision v9.9 of repository " + REPO + " not found"), e.getMessage());
        assertTrue(e.getMessage().contains("MODEL_REVISION"), e.getMessage());
    }

    @Test
    void missingRequiredFileIsNotFoundNamingTheFileAndUrl() {
        hub.addRepo("org/partial", null, Map.of("hyperparams.yaml", new byte[] {1, 2, 3}), false);

        RepoNotFoundException e = assertThrows(RepoNotFoundException.class,
                () -> fetcher(Secret.none()).ensure(new RepoRef("org/partial", "main"), ECAPA, false));

        assertEquals(RepoNotFoundException.Missing.FILE, e.missing());
        assertTrue(e.getMessage().contains("embedding_model.ckpt"), e.getMessage());
        assertTrue(e.getMessage().contains(hub.endpoint() + "/org/partial/resolve/"), e.getMessage());
    }

    private static String stackTrace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
