package dev.speakerembedding.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in's main serves a directory from its own process, for integration tests of the whole service. */
class StandInProcessTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tempDir;

    @Test
    void standInProcessServesADirectoryThatTheFetcherDownloads() throws Exception {
        Path modelDir = Files.createDirectories(tempDir.resolve("model"));
        Map<String, byte[]> files = TestModels.ecapaFiles(44);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(modelDir.resolve(file.getKey()), file.getValue());
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                HubStandIn.class.getName(), "--repo", TestModels.REPO + "=" + modelDir, "--commit", COMMIT)
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            assertNotNull(first, "the stand-in printed its URL");
            assertTrue(first.startsWith("HUB_STANDIN_ENDPOINT=http://127.0.0.1:"), first);
            URI endpoint = URI.create(first.substring("HUB_STANDIN_ENDPOINT=".length()));

            CachedSnapshot snapshot = TestModels.fetcher(tempDir.resolve("cache"), endpoint)
                    .ensure(TestModels.main(), TestModels.ECAPA, false);

            assertEquals(COMMIT, snapshot.commit());
            for (String name : TestModels.ECAPA.required()) {
                assertArrayEquals(files.get(name), Files.readAllBytes(snapshot.file(name)), name);
            }
        } finally {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
