package dev.speakerembedding.hub;

import static dev.speakerembedding.hub.TestModels.ECAPA;
import static dev.speakerembedding.hub.TestModels.REPO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cache tree exactly as huggingface_hub leaves it is used as is, and ours has its shape. */
class HuggingfaceHubCacheInteropTest {
    private static final String COMMIT = "5c0be3875fdd0ba7f3d6b1d6b4a8d8bc0a7c1f5e";

    @TempDir
    Path cacheDir;

    /** Writes what hf_hub_download leaves behind for the ECAPA files, plus its side files. */
    private Map<String, byte[]> writeHuggingfaceHubTree() throws Exception {
        Map<String, byte[]> files = TestModels.ecapaFiles(21);
        Path repoDir = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb");
        Path blobs = Files.createDirectories(repoDir.resolve("blobs"));
        Path snapshot = Files.createDirectories(repoDir.resolve("snapshots").resolve(COMMIT));
        Path locks = Files.createDirectories(cacheDir.resolve(".locks/models--speechbrain--spkrec-ecapa-voxceleb"));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String etag = file.getKey().endsWith(".ckpt") ? HubStandIn.sha256(file.getValue())
                    : HubStandIn.gitBlobSha1(file.getValue());
            Files.write(blobs.resolve(etag), file.getValue());
            Files.createSymbolicLink(snapshot.resolve(file.getKey()), Path.of("../../blobs/" + etag));
            Files.createFile(locks.resolve(etag + ".lock"));
        }
        // a file speechbrain asked for and the repo does not have, as huggingface_hub records it
        Files.createDirectories(repoDir.resolve(".no_exist").resolve(COMMIT));
        Files.createFile(repoDir.resolve(".no_exist").resolve(COMMIT).resolve("custom.py"));
        // an interrupted huggingface_hub download of another revision's blob
        Files.write(blobs.resolve("a".repeat(64) + ".incomplete"), new byte[] {1, 2, 3});
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), COMMIT, StandardCharsets.UTF_8);
        return files;
    }

    @Test
    void huggingfaceHubTreeIsUsedAsIsWithoutAnyRequest() throws Exception {
        Map<String, byte[]> files = writeHuggingfaceHubTree();
        List<String> before = TestModels.tree(cacheDir);
        try (HubStandIn hub = HubStandIn.start()) {
            CachedSnapshot snapshot = TestModels.fetcher(cacheDir, hub.endpoint()).ensure(TestModels.main(), ECAPA, false);

            assertEquals(COMMIT, snapshot.commit());
            for (String name : ECAPA.required()) {
                assertArrayEquals(files.get(name), Files.readAllBytes(snapshot.file(name)), name);
            }
            assertEquals(0, hub.requestCount());
        }
        assertEquals(before, TestModels.tree(cacheDir), "nothing added, removed or renamed");
    }

    @Test
    void huggingfaceHubTreeIsUsedOffline() throws Exception {
        writeHuggingfaceHubTree();

        CachedSnapshot snapshot = new ModelFetcher(new HubCache(cacheDir), null, null).ensure(TestModels.main(), ECAPA, true);

        assertEquals(COMMIT, snapshot.commit());
        assertEquals(ECAPA.required(), List.copyOf(snapshot.files().keySet()));
    }

    @Test
    void refWithTrailingNewlineIsStillRead() throws Exception {
        writeHuggingfaceHubTree();
        Files.writeString(cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/refs/main"), COMMIT + "\n");

        assertEquals(Optional.of(COMMIT), new HubCache(cacheDir).resolveCommit(TestModels.main()));
    }

    @Test
    void ourTreeHasHuggingfaceHubShapeIncludingNestedFiles() throws Exception {
        RepoFiles nested = new RepoFiles(List.of("hyperparams.yaml", "sub/dir/model.ckpt"), List.of());
        try (HubStandIn hub = HubStandIn.start()) {
            String commit = hub.addRepo(REPO, null, Map.of("hyperparams.yaml", "a: 1\n".getBytes(StandardCharsets.UTF_8),
                    "sub/dir/model.ckpt", TestModels.randomBytes(1, 5000)), false);
            TestModels.fetcher(cacheDir, hub.endpoint()).ensure(new RepoRef(REPO, "main"), nested, false);

            Path snapshot = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/snapshots").resolve(commit);
            String etag = hub.file(REPO, "sub/dir/model.ckpt").sha256();
            assertEquals(Path.of("../../../../blobs/" + etag), Files.readSymbolicLink(snapshot.resolve("sub/dir/model.ckpt")),
                    "relative to the link's own folder, as os.path.relpath gives");
            assertEquals(Path.of("../../blobs/" + hub.file(REPO, "hyperparams.yaml").gitSha1()),
                    Files.readSymbolicLink(snapshot.resolve("hyperparams.yaml")));
        }
        assertFalse(TestModels.tree(cacheDir).stream().anyMatch(p -> p.contains(".tmp-") || p.endsWith(".incomplete")));
    }

    @Test
    void copiedSnapshotFilesWhereSymlinksAreImpossibleAreVerifiedAgainstTheirBlob() throws Exception {
        Map<String, byte[]> files = writeHuggingfaceHubTree();
        Path snapshot = cacheDir.resolve("models--speechbrain--spkrec-ecapa-voxceleb/snapshots").resolve(COMMIT);
        Path link = snapshot.resolve("classifier.ckpt");
        Files.delete(link);
        Files.write(link, files.get("classifier.ckpt"));
        HubCache cache = new HubCache(cacheDir);

        CachedSnapshot found = cache.find(TestModels.main(), ECAPA).orElseThrow();
        CachedSnapshot verified = cache.verify(found);
        assertEquals(found.files(), verified.files());
        assertEquals(FileDigests.hex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(files.get("classifier.ckpt"))), verified.verifiedSha256("classifier.ckpt").orElseThrow(),
                "a copy's sha256 is learnt while verifying it");

        byte[] wrong = files.get("classifier.ckpt").clone();
        wrong[0] ^= 1;
        Files.write(link, wrong);
        CorruptCacheException e = org.junit.jupiter.api.Assertions.assertThrows(CorruptCacheException.class,
                () -> cache.verify(found));
        assertEquals("classifier.ckpt", e.fileName());
    }

    @Test
    void linkingTwiceIsIdempotentAndReplacesAWrongEntryAtomically() throws Exception {
        writeHuggingfaceHubTree();
        HubCache cache = new HubCache(cacheDir);
        String etag = HubStandIn.sha256(TestModels.ecapaFiles(21).get("classifier.ckpt"));
        Path link = cache.snapshotFile(TestModels.main(), COMMIT, "classifier.ckpt");

        cache.link(TestModels.main(), COMMIT, "classifier.ckpt", etag);
        assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(link));

        Files.delete(link);
        Files.writeString(link, "a stray plain file");
        cache.link(TestModels.main(), COMMIT, "classifier.ckpt", etag);
        assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(link));
        assertTrue(TestModels.tree(cacheDir).stream().noneMatch(p -> p.contains(".tmp-")));
    }
}
