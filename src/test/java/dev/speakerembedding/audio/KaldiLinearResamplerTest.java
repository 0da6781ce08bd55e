package dev.speakerembedding.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KaldiLinearResamplerTest {

    @Test
    void theUnflushedTailIsDropped() {
        // tick = lcm = 7056000; window width 6 / (2 * 7920) s = 2672 ticks; (44100 * 160 - 2672) / 441 -> 15994
        KaldiLinearResampler down = new KaldiLinearResampler(44100, 16000);
        assertEquals(7920f, down.cutoffHz());
        assertEquals(15994, down.outputCount(44100));
        assertEquals(15994, down.resample(new float[44100]).length);
        // 8 kHz -> 16 kHz: cutoff 3960 Hz, 12 of the 16000 outputs need input past the end
        KaldiLinearResampler up = new KaldiLinearResampler(8000, 16000);
        assertEquals(3960f, up.cutoffHz());
        assertEquals(15988, up.outputCount(8000));
        assertEquals(0, up.outputCount(6), "shorter than the window: nothing");
        assertEquals(0, up.outputCount(0));
    }

    @Test
    void aToneInThePassbandKeepsItsShape() {
        int n = 44100;
        float[] tone = new float[n];
        for (int i = 0; i < n; i++) {
            tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * 1000.0 * i / 44100));
        }
        float[] out = new KaldiLinearResampler(44100, 16000).resample(tone);
        double maxError = 0;
        // the first outputs see the zeros before the signal's start
        for (int k = 100; k < out.length; k++) {
            double expected = 0.5 * Math.sin(2 * Math.PI * 1000.0 * k / 16000);
            maxError = Math.max(maxError, Math.abs(out[k] - expected));
        }
        assertTrue(maxError < 2e-3, "max error " + maxError);
    }

    @Test
    void everyOutputIsTheWindowedSincSumAtItsExactTime() {
        float[] x = new float[3000];
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * 0.1f;
        }
        for (int[] rates : new int[][] {{22050, 16000}, {8000, 16000}, {16000, 8000}, {48000, 16000}}) {
            KaldiLinearResampler r = new KaldiLinearResampler(rates[0], rates[1]);
            float[] y = r.resample(x);
            double fc = r.cutoffHz();
            double width = 6 / (2 * fc);
            for (int k = 0; k < y.length; k += 37) {
                double t = (double) k / rates[1];
                double sum = 0;
                for (int j = (int) Math.ceil((t - width) * rates[0]); j <= Math.floor((t + width) * rates[0]); j++) {
                    if (j < 0 || j >= x.length) {
                        continue;
                    }
                    double d = (double) j / rates[0] - t;
                    double window = 0.5 * (1 + Math.cos(2 * Math.PI * fc / 6 * d));
                    double sinc = d == 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * d) / (Math.PI * d);
                    sum += x[j] * window * sinc / rates[0];
                }
                assertEquals(sum, y[k], 1e-6, rates[0] + " -> " + rates[1] + " output " + k);
            }
        }
    }

    @Test
    void pairsAreSharedAndPathologicalOnesRefused() {
        assertSame(KaldiLinearResampler.forRates(44100, 16000), KaldiLinearResampler.forRates(44100, 16000));
        assertThrows(IllegalArgumentException.class, () -> new KaldiLinearResampler(16000, 16000));
        assertThrows(IllegalArgumentException.class, () -> new KaldiLinearResampler(0, 16000));
        assertTrue(KaldiLinearResampler.weightCount(44100, 16000) < 10_000);
        assertTrue(KaldiLinearResampler.weightCount(767999, 16000) > KaldiLinearResampler.MAX_WEIGHTS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KaldiLinearResampler(767999, 16000));
        assertTrue(e.getMessage().contains("767999 Hz -> 16000 Hz"), e.getMessage());
    }
}
