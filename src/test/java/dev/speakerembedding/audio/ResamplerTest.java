package dev.speakerembedding.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ResamplerTest {

    @ParameterizedTest(name = "{0} -> {1} Hz")
    @CsvSource({"11025, 16000", "16000, 11025", "32000, 16000", "16000, 44100", "1009, 2000"})
    void sparseKernelEqualsEveryTapEvaluatedDensely(int fromHz, int toHz) {
        Resampler.Kernel kernel = Resampler.kernel(fromHz, toHz);
        float[][] expected = denseKernel(fromHz, toHz);
        float[][] actual = kernel.dense();
        assertEquals(expected.length, actual.length, "phases");
        for (int j = 0; j < expected.length; j++) {
            for (int k = 0; k < expected[j].length; k++) {
                // Numeric comparison: torch's clamped tails are -0.0 or 0.0, both stored as 0.
                if (expected[j][k] != actual[j][k]) {
                    assertEquals(expected[j][k], actual[j][k], "phase " + j + " tap " + k);
                }
            }
        }
    }

    @Test
    void coprimeRatesBuildOnlyTheNonZeroSpan() {
        long start = System.nanoTime();
        Resampler.Kernel kernel = Resampler.kernel(767999, 16000);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("kernel 767999->16000: %d phases x %d taps, %d stored, built in %.2f s%n",
                kernel.phases(), kernel.tapCount(), kernel.storedTaps(), seconds);
        assertEquals(16000, kernel.phases());
        assertTrue(kernel.storedTaps() < 16000L * 600, "stored taps " + kernel.storedTaps());
        assertEquals(21, Resampler.resample(new float[1000], 767999, 16000).length);
    }

    @Test
    void resamplingToTheSameRateReturnsACopy() {
        float[] samples = {0.1f, -0.2f, 0.3f};
        float[] out = Resampler.resample(samples, 16000, 16000);
        assertArrayEquals(samples, out);
        assertTrue(out != samples, "identity resampling must not return the input array");
    }

    @Test
    void resampledLengthIsCeilingOfScaledLength() {
        assertEquals(0, Resampler.resample(new float[0], 44100, 16000).length);
        assertEquals(1, Resampler.resample(new float[1], 44100, 16000).length);
        assertEquals(3, Resampler.resample(new float[3], 22050, 16000).length);
        assertEquals(6, Resampler.resample(new float[3], 8000, 16000).length);
        assertEquals(16000, Resampler.resample(new float[44100], 44100, 16000).length);
        assertEquals(160000, Resampler.resample(new float[11025 * 10], 11025, 16000).length);
    }

    @Test
    void shortSignalsOnlyTouchTheZeroPadding() {
        float[] out = Resampler.resample(new float[] {1f}, 8000, 16000);
        assertEquals(2, out.length);
        float[][] kernel = Resampler.kernel(8000, 16000).dense();
        // With one input sample, output j is kernel[j][W] (W = 7): the impulse response itself.
        assertEquals(kernel[0][7], out[0]);
        assertEquals(kernel[1][7], out[1]);
    }

    @Test
    void resamplingPreservesALowFrequencySine() {
        int fromHz = 44100;
        float[] sine = new float[fromHz];
        for (int i = 0; i < sine.length; i++) {
            sine[i] = (float) Math.sin(2 * Math.PI * 440 * i / fromHz);
        }
        float[] out = Resampler.resample(sine, fromHz, 16000);
        double maxError = 0;
        for (int i = 1000; i < out.length - 1000; i++) {
            maxError = Math.max(maxError, Math.abs(out[i] - Math.sin(2 * Math.PI * 440 * i / 16000.0)));
        }
        assertTrue(maxError < 1e-3, "440 Hz sine distorted by " + maxError);
    }

    @Test
    void nonPositiveRatesAreProgrammingErrors() {
        assertThrows(IllegalArgumentException.class, () -> Resampler.resample(new float[1], 0, 16000));
        assertThrows(IllegalArgumentException.class, () -> Resampler.resample(new float[1], 16000, -1));
    }

    /** torchaudio's kernel with every one of the 2W + o taps per phase evaluated, no support shortcut. */
    private static float[][] denseKernel(int fromHz, int toHz) {
        int gcd = java.math.BigInteger.valueOf(fromHz).gcd(java.math.BigInteger.valueOf(toHz)).intValue();
        int o = fromHz / gcd;
        int n = toHz / gcd;
        double base = Math.min(o, n) * 0.99;
        int width = (int) Math.ceil(6.0 * o / base);
        float[][] kernel = new float[n][2 * width + o];
        for (int j = 0; j < n; j++) {
            double phase = (float) -j / (float) n;
            for (int k = 0; k < kernel[j].length; k++) {
                double t = (phase + (double) (k - width) / o) * base;
                t = Math.max(-6, Math.min(6, t));
                double window = StrictMath.cos(t * Math.PI / 6 / 2);
                window *= window;
                t *= Math.PI;
                double sinc = t == 0 ? 1.0 : StrictMath.sin(t) / t;
                kernel[j][k] = (float) (sinc * (window * (base / o)));
            }
        }
        return kernel;
    }
}
