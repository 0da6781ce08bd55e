package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.hub.HubCache;
import dev.speakerembedding.hub.HubClient;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.hub.HubSettings;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.hub.Secret;
import dev.speakerembedding.hub.UnsafeNameException;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 9's path rule as a count: hub file names with '..' or absolute paths (and their disguises), hostile repo
 * ids and revisions from the configuration, and a hostile Hub answering with a commit or etag that is a path, are
 * all refused before anything is written, and nothing appears outside the cache. ({@code hub/UnsafeNamesTest}
 * holds the rule case by case; this is the suite's figure, through the same public entry points the server uses.)
 */
class HostileNamesTest {

    private static final List<String> FILE_NAMES = List.of("../x", "../../etc/passwd", "/etc/passwd", "a/../../b",
            "a/./b", "./a", "a//b", "a/", "a\\..\\b", "..", ".", "", "a\u0000b", "a\nb", "x".repeat(2000));
    private static final List<String> REPO_IDS = List.of("../x", "a/../b", "a/b/c", "/abs", "a--b/c", "a/..", "..",
            "a b/c", "a/b\u0000");
    private static final List<String> REVISIONS = List.of("../../x", "main/../../x", "/main", "a..b", "@", "x.lock",
            "a\u0000b", "a b", "~", "a:b");

    @TempDir
    Path tmp;

    @Test
    void hostileNamesFromConfigurationOrTheHubAreRefusedAndNothingIsWrittenOutsideTheCache() throws Exception {
        Report report = new Report("item9-hostile-names");
        List<String> accepted = new ArrayList<>();
        int refused = 0;
        HubClient client = new HubClient(HubSettings.defaults());
        RepoRef ref = new RepoRef("org/model", "main");
        for (String name : FILE_NAMES) {
            try {
                client.resolveUrl(ref, name);
                accepted.add("file name " + printable(name));
            } catch (UnsafeNameException e) {
                refused++;
            }
        }
        for (String repoId : REPO_IDS) {
            try {
                new HubCache(tmp.resolve("cache")).repoDir(repoId);
                RepoRef.of(repoId, "main");
                accepted.add("repo id " + printable(repoId));
            } catch (UnsafeNameException e) {
                refused++;
            }
        }
        for (String revision : REVISIONS) {
            try {
                RepoRef.of("org/model", revision);
                accepted.add("revision " + printable(revision));
            } catch (HubException e) {
                refused++;
            }
        }
        int hostileAnswers = 0;
        int hostileRefused = 0;
        Path cache = tmp.resolve("inner/cache");
        for (String[] header : new String[][] {{"X-Repo-Commit", "../../../../escaped"},
                {"X-Repo-Commit", "/tmp/escaped-commit"}, {"X-Linked-Etag", "\"../../../../escaped\""},
                {"ETag", "\"../../escaped\""}, {"X-Linked-Etag", "\"/tmp/escaped-etag\""}}) {
            hostileAnswers++;
            try (HubStandIn hub = HubStandIn.start(); HubProxy proxy = HubProxy.http(hub)) {
                Fixtures.serve(hub, Fixtures.smallModel());
                proxy.overrideHeader(header[0], header[1]);
                HubSettings settings = new HubSettings(proxy.endpoint(), Secret.none(), Duration.ofSeconds(2),
                        Duration.ofSeconds(5), 0, Duration.ofSeconds(5));
                new ModelFetcher(new HubCache(cache), new HubClient(settings), DownloadListener.none())
                        .ensure(new RepoRef(Fixtures.SMALL_REPO, "main"), Fixtures.FORMAT, false);
                accepted.add("Hub answer " + header[0] + ": " + header[1]);
            } catch (UnsafeNameException e) {
                hostileRefused++;
            } catch (HubException e) {
                accepted.add("Hub answer " + header[0] + ": " + header[1] + " failed otherwise: " + e.getMessage());
            }
        }
        List<String> outside;
        try (Stream<Path> all = Files.walk(tmp)) {
            outside = all.filter(Files::isRegularFile).filter(p -> !p.startsWith(cache)).map(Path::toString).toList();
        }
        int tried = FILE_NAMES.size() + REPO_IDS.size() + REVISIONS.size() + hostileAnswers;
        report.line("hostile names tried: %d (%d file names, %d repo ids, %d revisions, %d hostile Hub answers);"
                        + " refused: %d; files written outside the cache: %d", tried, FILE_NAMES.size(), REPO_IDS.size(),
                REVISIONS.size(), hostileAnswers, refused + hostileRefused, outside.size());
        accepted.forEach(a -> report.line("ACCEPTED %s", a));
        report.write(accepted.isEmpty() && outside.isEmpty() ? "PASS" : "FAIL");
        assertEquals(List.of(), accepted);
        assertEquals(List.of(), outside);
    }

    private static String printable(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s.replace("\u0000", "\\0").replace("\n", "\\n");
    }
}
