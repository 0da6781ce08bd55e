package dev.speakerembedding.model;

import dev.speakerembedding.testing.Npy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance check itself, fed speechbrain's own outputs with one value of one input broken: a NaN or an
 * infinity in either output must fail it (a comparison written {@code diff > tol} is false for NaN and would let
 * it pass).
 */
class ConformanceCheckTest {

    private static final Path EXPECTED = Npy.conformanceDir().resolve("expected/small");
    private static final String RAW = "embedding";
    private static final String NORMALIZED = "embedding_normalize_true";

    @Test
    void speechbrainsOwnOutputPasses() {
        assertDoesNotThrow(() -> check(new Replay(null, 0f)));
    }

    @Test
    void aNaNInTheRawEmbeddingFails() throws IOException {
        assertFailsNaming(new Replay(RAW, Float.NaN), "noise_3s embedding:");
    }

    @Test
    void aNaNInTheNormalizedEmbeddingFails() throws IOException {
        assertFailsNaming(new Replay(NORMALIZED, Float.NaN), "noise_3s embedding_normalize_true:");
    }

    @Test
    void anInfinityInTheRawEmbeddingFails() throws IOException {
        assertFailsNaming(new Replay(RAW, Float.POSITIVE_INFINITY), "noise_3s embedding:");
    }

    @Test
    void aNegativeInfinityInTheNormalizedEmbeddingFails() throws IOException {
        assertFailsNaming(new Replay(NORMALIZED, Float.NEGATIVE_INFINITY), "noise_3s embedding_normalize_true:");
    }

    private static void check(ConformanceCheck.Embedder embedder) throws IOException {
        ConformanceCheck.assertAllInputsMatch(embedder, EXPECTED, SmallModelConformanceTest.MAX_ABS,
                SmallModelConformanceTest.MIN_COSINE);
    }

    private static void assertFailsNaming(Replay replay, String failure) {
        AssertionError e = assertThrows(AssertionError.class, () -> check(replay));
        assertTrue(e.getMessage().contains(failure), e.getMessage());
    }

    /** Answers each input with speechbrain's expected outputs, {@code poison} at one element of noise_3s's {@code kind}. */
    private static final class Replay implements ConformanceCheck.Embedder {
        private final Map<Integer, String> stemByFeatures = new HashMap<>();
        private final Map<float[], String> stemByRaw = new IdentityHashMap<>();
        private final String poisonedKind;
        private final float poison;

        Replay(String poisonedKind, float poison) throws IOException {
            this.poisonedKind = poisonedKind;
            this.poison = poison;
            try (Stream<Path> files = Files.list(EXPECTED)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".fbank_norm.npy")).toList()) {
                    stemByFeatures.put(Arrays.hashCode(Npy.read(f).data()),
                            f.getFileName().toString().replace(".fbank_norm.npy", ""));
                }
            }
        }

        @Override
        public float[] embed(float[] features, int frames) {
            String stem = stemByFeatures.get(Arrays.hashCode(features));
            float[] raw = expected(stem, RAW);
            stemByRaw.put(raw, stem);
            return raw;
        }

        @Override
        public float[] applyMeanVarNorm(float[] embedding) {
            return expected(stemByRaw.get(embedding), NORMALIZED);
        }

        private float[] expected(String stem, String kind) {
            try {
                float[] values = Npy.read(EXPECTED.resolve(stem + "." + kind + ".npy")).data();
                if (kind.equals(poisonedKind) && stem.equals("noise_3s")) {
                    values[3] = poison;
                }
                return values;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
