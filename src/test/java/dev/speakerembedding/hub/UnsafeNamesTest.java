package dev.speakerembedding.hub;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UnsafeNamesTest {
    @TempDir
    Path cacheDir;

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", "/etc/passwd", "a/../../b", "org/..", "../org/name", "org/name/extra",
            "org//name", "org\\name", "org/na\u0000me", "org/-name", "org/name.", "org--x/name", "org/na..me", ""})
    void unsafeRepoIdsAreRefused(String repoId) {
        assertThrows(UnsafeNameException.class, () -> RepoRef.of(repoId, "main"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RepoRef(repoId, "main"));
        assertInstanceOf(UnsafeNameException.class, e.getCause());
        assertThrows(UnsafeNameException.class, () -> new HubCache(cacheDir).repoDir(repoId));
    }

    @ParameterizedTest
    @ValueSource(strings = {"speechbrain/spkrec-ecapa-voxceleb", "gpt2", "Org_1/model.v2", "a/b"})
    void hubStyleRepoIdsAreAccepted(String repoId) throws Exception {
        RepoRef ref = RepoRef.of(repoId, null);
        assertEquals("main", ref.revision());
        Path repoDir = new HubCache(cacheDir).repoDir(repoId);
        assertEquals(cacheDir.toAbsolutePath().normalize(), repoDir.getParent());
        assertEquals("models--" + repoId.replace("/", "--"), repoDir.getFileName().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", "/etc/passwd", "a/../../b", "main/..", "./main", "a//b", "main/", "a\\b",
            "ma\u0000in", "ma\nin", "a b", "x.lock", "a@{1}", "@", "v1.", ".hidden", "a:b"})
    void unsafeRevisionsAreRefused(String revision) {
        assertThrows(UnsafeNameException.class, () -> RepoRef.of("org/name", revision));
    }

    @ParameterizedTest
    @ValueSource(strings = {"main", "v1.0", "refs/pr/1", "feature/x-y_z", "0123456789abcdef0123456789abcdef01234567"})
    void gitStyleRevisionsAreAccepted(String revision) {
        assertDoesNotThrow(() -> RepoRef.of("org/name", revision));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/etc/passwd", "a/../../b", "..", ".", "a/./b", "a//b", "a\\..\\b", "a\u0000b",
            "a\u001fb", "dir/", ""})
    void unsafeFilenamesAreRefused(String filename) throws Exception {
        assertThrows(UnsafeNameException.class, () -> Names.validateFilename(filename));
        HubClient client = new HubClient(TestModels.settings(URI.create("http://127.0.0.1:9")));
        assertThrows(UnsafeNameException.class, () -> client.resolveUrl(TestModels.main(), filename));
        assertThrows(IllegalArgumentException.class,
                () -> new RepoFiles(List.of(filename), List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../../../tmp/x", "abc/def", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", "0123456789abcdef0123456789abcdef0123456",
            "g123456789abcdef0123456789abcdef01234567", "..", "", "0123456789abcdef0123456789abcdef01234567.lock"})
    void unsafeEtagsAreRefused(String etag) {
        assertThrows(UnsafeNameException.class, () -> Names.validateEtag(etag));
        assertThrows(UnsafeNameException.class,
                () -> new HubCache(cacheDir).blobPath(TestModels.main(), etag));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "main", "abc", "0123456789abcdef0123456789abcdef0123456", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"})
    void commitsThatAreNot40HexAreRefused(String commit) {
        assertThrows(UnsafeNameException.class, () -> Names.validateCommit(commit));
        assertThrows(UnsafeNameException.class,
                () -> new HubCache(cacheDir).snapshotDir(TestModels.main(), commit));
    }

    @Test
    void refusalMessagesNameTheValueWithControlCharactersEscaped() {
        UnsafeNameException e = assertThrows(UnsafeNameException.class, () -> RepoRef.of("org/name", "ma\nin"));
        assertTrue(e.getMessage().startsWith("Refused revision 'ma\\u000ain'"), e.getMessage());
        assertTrue(e instanceof HubException);
    }

    @Test
    void hubAnswersWithUnsafeEtagOrCommitAreRefusedBeforeTouchingTheDisk() throws Exception {
        try (HubStandIn hub = HubStandIn.start()) {
            hub.failNext(1, 200, java.util.Map.of("X-Repo-Commit", "../../../../etc", "ETag", "\"0123456789abcdef0123456789abcdef01234567\""));
            HubClient client = new HubClient(TestModels.settings(hub.endpoint()));
            UnsafeNameException commit = assertThrows(UnsafeNameException.class,
                    () -> client.head(TestModels.main(), "hyperparams.yaml"));
            assertTrue(commit.getMessage().contains("commit hash"), commit.getMessage());

            hub.failNext(1, 200, java.util.Map.of("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567",
                    "X-Linked-Etag", "\"../../../snapshots/x\""));
            UnsafeNameException etag = assertThrows(UnsafeNameException.class,
                    () -> client.head(TestModels.main(), "hyperparams.yaml"));
            assertTrue(etag.getMessage().contains("etag"), etag.getMessage());

            hub.failNext(100, 200, java.util.Map.of("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567",
                    "X-Linked-Etag", "\"../../../snapshots/x\""));
            assertThrows(UnsafeNameException.class, () -> new ModelFetcher(new HubCache(cacheDir), client, null)
                    .ensure(TestModels.main(), TestModels.ECAPA, false));
            assertEquals(List.of(), TestModels.tree(cacheDir), "nothing written");
        }
    }

    @Test
    void snapshotLinkPointingOutsideBlobsIsReportedCorrupt() throws Exception {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Path repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(commit));
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), commit);
        Path outside = Files.writeString(cacheDir.resolve("secret.txt"), "not a model file");
        for (String file : TestModels.ECAPA.required()) {
            Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../../secret.txt"));
        }
        HubCache cache = new HubCache(cacheDir);

        CachedSnapshot found = cache.find(TestModels.main(), TestModels.ECAPA).orElseThrow();
        CorruptCacheException e = assertThrows(CorruptCacheException.class, () -> cache.verify(found));

        assertEquals("hyperparams.yaml", e.fileName());
        assertTrue(e.actual().contains(outside.getFileName().toString()), e.actual());
    }
}
