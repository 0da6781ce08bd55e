package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.Npy;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class FbankConstantsTest {

    private static final Fbank FBANK = new Fbank(FbankOptions.speechbrainDefaults());

    @Test
    void hammingWindowIsBitIdenticalToTorchFloat32PeriodicWindow() throws IOException {
        Npy expected = Npy.read(Npy.conformanceDir().resolve("expected/frontend/stft_window_hamming_periodic_400.npy"));
        float[] window = FBANK.window();
        double maxDiff = Npy.maxAbsDiff(expected.data(), window);
        int differing = countDiffering(expected.data(), window);
        System.out.printf("window: max |diff| %.3g, %d of %d values differing%n",
                maxDiff, differing, window.length);
        assertEquals(0, differing, "window values differing from torch's (max abs diff " + maxDiff + ")");
    }

    @Test
    void melFilterbankIsBitIdenticalToSpeechbrainFloat32Matrix() throws IOException {
        Npy expected = Npy.read(Npy.conformanceDir().resolve("expected/frontend/mel_filterbank_201x80.npy"));
        assertArrayEquals(new int[] {201, 80}, expected.shape());
        float[][] matrix = FBANK.melMatrix();
        float[] flat = new float[201 * 80];
        for (int k = 0; k < 201; k++) {
            System.arraycopy(matrix[k], 0, flat, k * 80, 80);
        }
        double maxDiff = Npy.maxAbsDiff(expected.data(), flat);
        int differing = countDiffering(expected.data(), flat);
        System.out.printf("mel matrix: max |diff| %.3g, %d of %d values differing%n",
                maxDiff, differing, flat.length);
        assertEquals(0, differing, "mel weights differing from speechbrain's (max abs diff " + maxDiff + ")");
    }

    @Test
    void linspaceCountsUpToHalfwayAndDownFromTheEnd() {
        float[] values = TorchFloat32.linspace(0f, 8000f, 201);
        assertEquals(0f, values[0]);
        assertEquals(40f, values[1]);
        assertEquals(8000f, values[200]);
        for (int i = 0; i < values.length; i++) {
            assertEquals(40f * i, values[i], "bin " + i);
        }
    }

    @Test
    void sleefPowMatchesCorrectlyRoundedPowWithinOneUlp() {
        for (float x = -3f; x <= 3f; x += 0.001f) {
            float expected = (float) StrictMath.pow(10.0, x);
            float actual = TorchFloat32.sleefPowf(10f, x);
            assertTrue(Math.abs(actual - expected) <= Math.ulp(expected), "10^" + x + ": " + actual + " vs " + expected);
        }
    }

    @Test
    void sleefCosMatchesCorrectlyRoundedCosWithinOneUlp() {
        for (float x = -20f; x <= 20f; x += 0.0007f) {
            float expected = (float) StrictMath.cos(x);
            float actual = TorchFloat32.sleefCosf(x);
            assertTrue(Math.abs(actual - expected) <= Math.ulp(1f), "cos " + x + ": " + actual + " vs " + expected);
        }
    }

    /** Values that are not numerically equal (torch's -0.0 equals our 0.0). */
    private static int countDiffering(float[] expected, float[] actual) {
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                count++;
            }
        }
        return count;
    }
}
