package dev.speakerembedding.profiles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.inference.SpeakerVerification;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ProfileScoringTest {

    @Test
    void theProfileVectorIsTheUnitMeanOfUnitEnrollments() {
        // unit first: (1,0) and (0,1), mean (0.5,0.5); the raw mean (1.5,2) would point to (0.6,0.8)
        float[] v = ProfileScoring.profileVector(List.of(new float[] {3, 0}, new float[] {0, 4}));
        float h = (float) Math.sqrt(0.5);
        assertArrayEquals(new float[] {h, h}, v, 1e-7f);
        assertArrayEquals(new float[] {0.6f, 0.8f}, ProfileScoring.profileVector(List.of(new float[] {3, 4})), 1e-7f);
        float[] three = ProfileScoring.profileVector(
                List.of(new float[] {1, 0, 0}, new float[] {0, 2, 0}, new float[] {0, 0, 0.5f}));
        float third = (float) (1 / Math.sqrt(3));
        assertArrayEquals(new float[] {third, third, third}, three, 1e-7f);
    }

    @Test
    void verifyScoresTheCosineAndAcceptsStrictlyAboveTheThreshold() {
        ProfileScoring.Verification v = ProfileScoring.verify(new float[] {1, 0}, new float[] {5, 5}, 0.5);
        assertEquals(Math.sqrt(0.5), v.score(), 1e-7);
        assertEquals(0.5, v.threshold());
        assertTrue(v.accepted());

        ProfileScoring.Verification orthogonal = ProfileScoring.verify(new float[] {1, 0}, new float[] {0, 3}, 0.0);
        assertEquals(0.0, orthogonal.score());
        assertFalse(orthogonal.accepted(), "0 > 0 is false, as in /v1/verify and speechbrain");
        assertTrue(ProfileScoring.verify(new float[] {1, 0}, new float[] {0, 3}, -0.01).accepted());

        ProfileScoring.Verification same = ProfileScoring.verify(new float[] {2, 2}, new float[] {7, 7}, 1.0);
        assertEquals(1.0, same.score());
        assertFalse(same.accepted());
        assertEquals(-1.0, ProfileScoring.verify(new float[] {1, 2}, new float[] {-2, -4}, 0).score(), 1e-7);
        assertFalse(ProfileScoring.accepts(0.25, 0.25));
        assertTrue(ProfileScoring.accepts(0.2500001, 0.25));
    }

    @Test
    void scoresAgreeWithTheVerifyEndpointsCosineOnRandomVectors() {
        Random random = new Random(7);
        for (int trial = 0; trial < 100; trial++) {
            float[] a = gaussian(random, 192);
            float[] b = gaussian(random, 192);
            double score = ProfileScoring.verify(a, b, 0.25).score();
            assertFalse(Double.isNaN(score));
            assertEquals(SpeakerVerification.cosine(a, b), score, 1e-6);
        }
    }

    @Test
    void invalidVectorsAreRefusedWithTheirReason() {
        float[] good = {1, 2, 3};
        assertReason(InvalidVectorException.Reason.DIMENSION_MISMATCH,
                () -> ProfileScoring.verify(good, new float[] {1, 2}, 0.3));
        assertReason(InvalidVectorException.Reason.NOT_FINITE,
                () -> ProfileScoring.verify(good, new float[] {1, Float.NaN, 2}, 0.3));
        assertReason(InvalidVectorException.Reason.NOT_FINITE,
                () -> ProfileScoring.verify(new float[] {Float.POSITIVE_INFINITY, 0, 0}, good, 0.3));
        assertReason(InvalidVectorException.Reason.ZERO_VECTOR,
                () -> ProfileScoring.verify(good, new float[3], 0.3));
        assertReason(InvalidVectorException.Reason.DIMENSION_MISMATCH,
                () -> ProfileScoring.profileVector(List.of(good, new float[] {1, 2})));
        assertReason(InvalidVectorException.Reason.ZERO_VECTOR,
                () -> ProfileScoring.profileVector(List.of(new float[] {1, 0}, new float[] {-3, 0})));
        assertReason(InvalidVectorException.Reason.NOT_FINITE,
                () -> ProfileScoring.profileVector(List.of(good, new float[] {Float.NEGATIVE_INFINITY, 1, 1})));
        assertThrows(IllegalArgumentException.class, () -> ProfileScoring.profileVector(List.of()));
    }

    @Test
    void messagesNameTheVectorNotItsValues() {
        InvalidVectorException e = assertThrows(InvalidVectorException.class,
                () -> ProfileScoring.verify(new float[] {0.123f, 0.456f}, new float[] {0.789f, Float.NaN}, 0.3));
        assertEquals("probe has a NaN or infinite value at index 1", e.getMessage());
    }

    @Test
    void thresholdsOutsideTheCosineRangeAreRefused() {
        for (double t : new double[] {Double.NaN, 1.01, -1.01, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class,
                    () -> ProfileScoring.verify(new float[] {1}, new float[] {1}, t), "threshold " + t);
        }
    }

    private static void assertReason(InvalidVectorException.Reason reason, Runnable call) {
        assertEquals(reason, assertThrows(InvalidVectorException.class, call::run).reason());
    }

    static float[] gaussian(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
