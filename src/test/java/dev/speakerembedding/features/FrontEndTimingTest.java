package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.audio.AudioNormalizer;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.Resampler;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Per-request cost of the front end on 10 s of audio. The bounds are an order of magnitude above what a laptop
 * core needs so that only a real regression (e.g. a dense resampling kernel or a boxed loop) fails.
 */
class FrontEndTimingTest {

    private static final int WARMUP_RUNS = 10;
    private static final int TIMED_RUNS = 15;

    @Test
    void tenSecondsOfAudioGoThroughTheFrontEndInMilliseconds() {
        float[] mono44k = noisySines(44100 * 10, 1);
        float[] left48k = noisySines(48000 * 10, 2);
        float[] right48k = noisySines(48000 * 10, 3);
        float[] mono22k = noisySines(22050 * 10, 4);
        float[] mono16k = noisySines(16000 * 10, 5);
        Fbank fbank = new Fbank(FbankOptions.speechbrainDefaults());
        DecodedAudio stereo48k = new DecodedAudio(48000, 2, new float[][] {left48k, right48k}, "float32");

        double resample44k = medianMillis(() -> Resampler.resample(mono44k, 44100, 16000));
        double resample22k = medianMillis(() -> Resampler.resample(mono22k, 22050, 16000));
        double stereo48kToMono = medianMillis(() -> AudioNormalizer.toMono16k(stereo48k));
        double fbankMillis = medianMillis(() -> fbank.computeDb(mono16k));
        float[] raw = fbank.computeDb(mono16k);
        int frames = fbank.frameCount(mono16k.length);
        double normMillis = medianMillis(() -> SentenceNormalization.subtractMean(raw, frames, 80));

        System.out.printf("timing, 10 s of audio (median of %d after %d warm-up runs):%n"
                        + "  resample 44.1k->16k mono %.2f ms, 22.05k->16k mono %.2f ms,"
                        + " 48k stereo->16k mono %.2f ms%n"
                        + "  fbank %.2f ms (%d frames), sentence norm %.3f ms%n",
                TIMED_RUNS, WARMUP_RUNS, resample44k, resample22k, stereo48kToMono, fbankMillis, frames, normMillis);
        assertTrue(resample44k < 100, "44.1 kHz resampling took " + resample44k + " ms");
        assertTrue(fbankMillis < 100, "fbank took " + fbankMillis + " ms");
    }

    private static double medianMillis(Supplier<Object> work) {
        for (int i = 0; i < WARMUP_RUNS; i++) {
            work.get();
        }
        double[] millis = new double[TIMED_RUNS];
        for (int i = 0; i < TIMED_RUNS; i++) {
            long start = System.nanoTime();
            work.get();
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis[TIMED_RUNS / 2];
    }

    private static float[] noisySines(int length, long seed) {
        Random random = new Random(seed);
        float[] samples = new float[length];
        for (int i = 0; i < length; i++) {
            samples[i] = (float) (0.3 * Math.sin(i * 0.031) + 0.2 * Math.sin(i * 0.0071) + 0.05 * random.nextGaussian());
        }
        return samples;
    }
}
