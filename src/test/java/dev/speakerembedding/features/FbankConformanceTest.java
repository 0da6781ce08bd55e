package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.audio.AudioNormalizer;
import dev.speakerembedding.audio.ConformanceInputs;
import dev.speakerembedding.audio.ConformanceInputs.Input;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.testing.Npy;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FbankConformanceTest {

    private static final double FBANK_TOLERANCE_DB = 0.05;
    private static final Fbank FBANK = new Fbank(FbankOptions.speechbrainDefaults());
    private static final Map<String, String> SUMMARY = new ConcurrentSkipListMap<>();

    static List<Input> inputs() {
        return ConformanceInputs.all();
    }

    @AfterAll
    static void printSummary() {
        System.out.println("== fbank vs speechbrain (dB) ==");
        new TreeMap<>(SUMMARY).forEach((key, line) -> System.out.println("  " + line));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void rawAndSentenceNormalisedFbankMatchSpeechbrain(Input input) throws Exception {
        float[] wav = AudioNormalizer.toMono16k(WavDecoder.decode(input.wavBytes()));
        int frames = FBANK.frameCount(wav.length);

        Npy expectedRaw = Npy.read(input.expected("frontend/<stem>.fbank_raw.npy"));
        assertArrayEquals(new int[] {frames, 80}, expectedRaw.shape(), "fbank_raw shape");
        float[] raw = FBANK.computeDb(wav);
        double rawDiff = Npy.maxAbsDiff(expectedRaw.data(), raw);

        Npy expectedNorm = Npy.read(input.expected("small/<stem>.fbank_norm.npy"));
        assertArrayEquals(new int[] {frames, 80}, expectedNorm.shape(), "fbank_norm shape");
        float[] norm = SentenceNormalization.subtractMean(raw, frames, 80);
        double normDiff = Npy.maxAbsDiff(expectedNorm.data(), norm);

        SUMMARY.put(input.stem(), String.format("%-32s frames %4d  fbank_raw max |diff| %.3g dB  fbank_norm %.3g dB",
                input.stem(), frames, rawDiff, normDiff));
        assertTrue(rawDiff <= FBANK_TOLERANCE_DB, input.stem() + ": fbank_raw max abs diff " + rawDiff + " dB");
        assertTrue(normDiff <= FBANK_TOLERANCE_DB, input.stem() + ": fbank_norm max abs diff " + normDiff + " dB");
    }

    @Test
    void frameCountIsOnePlusSamplesOverHop() {
        assertEquals(1, FBANK.frameCount(0));
        assertEquals(1, FBANK.frameCount(159));
        assertEquals(2, FBANK.frameCount(160));
        assertEquals(26, FBANK.frameCount(4000));
        assertEquals(732, FBANK.frameCount(117065));
    }

    @Test
    void digitalSilenceGivesMinusOneHundredDecibelsAndZeroAfterNormalisation() {
        float[] silence = new float[16000];
        float[] raw = FBANK.computeDb(silence);
        assertEquals(101 * 80, raw.length);
        for (float v : raw) {
            assertEquals(-100f, v);
        }
        for (float v : SentenceNormalization.subtractMean(raw, 101, 80)) {
            assertEquals(0f, v);
        }
    }

    @Test
    void valuesBelowTopDbUnderTheMaximumAreRaised() {
        float[] samples = new float[3200];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) (0.5 * Math.sin(2 * Math.PI * 1000 * i / 16000.0));
        }
        float[] db = FBANK.computeDb(samples);
        float max = Float.NEGATIVE_INFINITY;
        float min = Float.POSITIVE_INFINITY;
        for (float v : db) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        assertEquals(max - 80f, min, "floor of the dynamic range");
    }

    @Test
    void emptyInputGivesOneFrameAtTheFloor() {
        float[] db = FBANK.computeDb(new float[0]);
        assertEquals(80, db.length);
        for (float v : db) {
            assertEquals(-100f, v);
        }
    }

    @Test
    void computationIsThreadSafe() throws Exception {
        Input input = ConformanceInputs.all().get(1);
        float[] wav = AudioNormalizer.toMono16k(WavDecoder.decode(input.wavBytes()));
        float[] reference = FBANK.computeDb(wav);
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int r = 0; r < 20; r++) {
                    if (!java.util.Arrays.equals(reference, FBANK.computeDb(wav))) {
                        failures.incrementAndGet();
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(0, failures.get(), "concurrent runs differing from a single-threaded run");
    }
}
