package dev.speakerembedding.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.WavDecoder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer itself: a case is a function of (seed, index) alone, so a failure found by {@link WavFuzzIT} is replayed
 * exactly ({@link FuzzMain} {@code --from i --to i+1}); its seeds are valid audio; and its cases spread over decoder
 * outcomes instead of all failing at the first byte.
 */
class WavFuzzerTest {

    @Test
    void aCaseDependsOnlyOnSeedAndIndex() {
        WavFuzzer a = new WavFuzzer(7);
        WavFuzzer b = new WavFuzzer(7);
        for (int i : new int[] {0, 1, 999, 12_345}) {
            WavFuzzer.Case x = b.generate(i);
            WavFuzzer.Case y = a.generate(i);
            assertArrayEquals(x.body(), y.body(), "case " + i);
            assertEquals(x.description(), y.description());
            assertEquals(x.contentType(), y.contentType());
        }
        assertTrue(!java.util.Arrays.equals(new WavFuzzer(7).generate(5).body(), new WavFuzzer(8).generate(5).body()),
                "another seed gives other cases");
    }

    @Test
    void seedsAreValidNonSilentAudioInEveryLayout() throws Exception {
        for (int[] f : new int[][] {{1, 8}, {1, 16}, {1, 24}, {1, 32}, {3, 32}, {3, 64}}) {
            DecodedAudio audio = WavDecoder.decode(WavFuzzer.wav(f[0], f[1], 2, 22050, 0.25));
            assertEquals(22050, audio.sampleRateHz());
            assertEquals(2, audio.channelCount());
        }
    }

    @Test
    void casesSpreadOverDecoderOutcomes() {
        WavFuzzer fuzzer = new WavFuzzer(20_240_611L);
        Set<String> outcomes = new HashSet<>();
        int decoded = 0;
        for (int i = 0; i < 2000; i++) {
            try {
                WavDecoder.decode(fuzzer.generate(i).body(), 120L * 768_000);
                decoded++;
            } catch (AudioFormatException e) {
                outcomes.add(e.reason().name());
            } catch (RuntimeException e) {
                throw new AssertionError("case " + i + " (" + fuzzer.generate(i).description() + ") made the decoder"
                        + " throw " + e, e);
            }
        }
        assertTrue(decoded > 200 && decoded < 1800, "a fair share decodes: " + decoded);
        assertTrue(outcomes.containsAll(Set.of("MALFORMED", "TRUNCATED", "UNSUPPORTED_ENCODING")), outcomes.toString());
    }
}
