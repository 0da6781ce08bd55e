package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FrameNormalizationTest {

    @Test
    void subtractMeanCentresEveryBinOverTheFrames() {
        float[][] x = {{1, 10}, {2, 20}, {3, 30}, {6, 60}};
        FrameNormalization.subtractMean(x);
        assertArrayEquals(new float[] {-2, -20}, x[0]);
        assertArrayEquals(new float[] {3, 30}, x[3]);
    }

    @Test
    void perFeatureUsesThePopulationDeviationPlusEpsilon() {
        float[][] x = {{1, 5}, {2, 5}, {3, 5}, {4, 5}};
        FrameNormalization.perFeatureMeanAndStd(x);
        double std = Math.sqrt(1.25);
        assertEquals(-1.5 / (std + 1e-5), x[0][0], 1e-6);
        assertEquals(1.5 / (std + 1e-5), x[3][0], 1e-6);
        for (float[] frame : x) {
            assertEquals(0f, frame[1], "a constant bin becomes 0");
        }
    }

    @Test
    void theMeanSumsInEigensPacketOrder() {
        // above 2^24 float32 steps by 2: adding the ones one by one loses them, Eigen's pairs keep (1 + 1) + (1 + 1)
        float big = 16777216f;
        float[][] x = {{big}, {1}, {1}, {1}, {1}, {0}, {0}, {0}, {0}, {0}};
        float sequential = big;
        for (int i = 1; i < x.length; i++) {
            sequential += x[i][0];
        }
        float eigen = big + ((1f + 1f) + (1f + 1f)) + ((0f + 0f) + (0f + 0f)) + 0f;
        assertEquals(big, sequential, 0f);
        assertEquals(big + 4, eigen, 0f);
        assertEquals(eigen / 10, FrameNormalization.mean(x)[0], 0f);
    }

    @Test
    void emptyAndSingleFrameInputsStayFinite() {
        assertEquals(0, FrameNormalization.perFeatureMeanAndStd(new float[0][]).length);
        float[][] one = {{3, 4}};
        FrameNormalization.perFeatureMeanAndStd(one);
        assertArrayEquals(new float[] {0, 0}, one[0]);
    }
}
