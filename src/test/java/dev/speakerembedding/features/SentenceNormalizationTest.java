package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SentenceNormalizationTest {

    @Test
    void subtractsThePerBandMeanOverAllFrames() {
        float[] feats = {
            1f, 10f,
            2f, 20f,
            6f, 60f,
        };
        float[] out = SentenceNormalization.subtractMean(feats, 3, 2);
        assertArrayEquals(new float[] {-2f, -20f, -1f, -10f, 3f, 30f}, out);
    }

    @Test
    void returnsANewArrayAndLeavesTheInputAlone() {
        float[] feats = {1f, 3f};
        float[] out = SentenceNormalization.subtractMean(feats, 2, 1);
        assertTrue(out != feats);
        assertArrayEquals(new float[] {1f, 3f}, feats);
        assertArrayEquals(new float[] {-1f, 1f}, out);
    }

    @Test
    void rejectsAShapeThatDoesNotMatchTheArray() {
        assertThrows(IllegalArgumentException.class, () -> SentenceNormalization.subtractMean(new float[5], 2, 2));
    }
}
