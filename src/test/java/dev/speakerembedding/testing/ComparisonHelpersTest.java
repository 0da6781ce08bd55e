package dev.speakerembedding.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every comparison helper of the conformance tests fails on a NaN or an infinity, on either side. */
class ComparisonHelpersTest {

    private static final float[] REFERENCE = {0.25f, -1.5f, 3f, 0.001f};
    private static final double MAX_ABS = 5e-5;
    private static final double MIN_COSINE = 0.99999;

    private static float[] with(float[] values, int index, float value) {
        float[] copy = values.clone();
        copy[index] = value;
        return copy;
    }

    @Test
    void identicalFiniteVectorsPass() {
        assertEquals(0, Npy.maxAbsDiff(REFERENCE, REFERENCE.clone()));
        assertEquals(1, Npy.cosine(REFERENCE, REFERENCE.clone()), 1e-15);
        assertDoesNotThrow(() -> Npy.assertClose("same", REFERENCE, REFERENCE.clone(), MAX_ABS, MIN_COSINE));
    }

    @Test
    void aDifferenceIsMeasuredAndJudged() {
        float[] off = with(REFERENCE, 2, 3.0001f);
        double diff = Npy.maxAbsDiff(REFERENCE, off);
        assertEquals(1e-4, diff, 1e-6);
        assertFalse(Npy.withinTolerance(diff, MAX_ABS));
        assertTrue(Npy.withinTolerance(diff, 2e-4));
        assertThrows(AssertionError.class, () -> Npy.assertClose("off", REFERENCE, off, MAX_ABS, MIN_COSINE));
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void maxAbsDiffIsNaNWhenEitherSideHoldsANonFiniteValueTheOtherLacks(float bad) {
        assertTrue(Double.isNaN(Npy.maxAbsDiff(REFERENCE, with(REFERENCE, 1, bad))), "in the output");
        assertTrue(Double.isNaN(Npy.maxAbsDiff(with(REFERENCE, 1, bad), REFERENCE)), "in the reference");
        assertTrue(Double.isNaN(Npy.maxAbsDiff(with(REFERENCE, 0, bad), with(REFERENCE, 3, bad))), "elsewhere");
    }

    @Test
    void neitherTheSameInfinityNorTheSameNaNOnBothSidesIsAgreement() {
        float[] minusInf = with(REFERENCE, 3, Float.NEGATIVE_INFINITY);
        assertTrue(Double.isNaN(Npy.maxAbsDiff(minusInf, minusInf.clone())));
        assertTrue(Double.isNaN(Npy.maxAbsDiff(minusInf, with(REFERENCE, 3, Float.POSITIVE_INFINITY))));
        float[] nan = with(REFERENCE, 3, Float.NaN);
        assertTrue(Double.isNaN(Npy.maxAbsDiff(nan, nan.clone())));
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void cosineIsNaNWhenEitherVectorHoldsANonFiniteValue(float bad) {
        assertTrue(Double.isNaN(Npy.cosine(REFERENCE, with(REFERENCE, 2, bad))));
        assertTrue(Double.isNaN(Npy.cosine(with(REFERENCE, 2, bad), REFERENCE)));
        assertTrue(Double.isNaN(Npy.cosine(with(REFERENCE, 2, bad), with(REFERENCE, 2, bad))));
    }

    @Test
    void cosineOfAnAllZeroVectorIsNaN() {
        assertTrue(Double.isNaN(Npy.cosine(REFERENCE, new float[REFERENCE.length])));
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void toleranceChecksFailOnANonFiniteMeasure(double bad) {
        assertFalse(Npy.withinTolerance(bad, MAX_ABS));
        assertFalse(Npy.withinTolerance(bad, Double.MAX_VALUE));
        assertFalse(Npy.cosineAtLeast(bad, MIN_COSINE));
        assertFalse(Npy.cosineAtLeast(bad, -1));
    }

    @Test
    void aNaNToleranceNeverPasses() {
        assertFalse(Npy.withinTolerance(0, Double.NaN));
        assertFalse(Npy.cosineAtLeast(1, Double.NaN));
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void assertCloseFailsOnANonFiniteValueOnEitherSide(float bad) {
        AssertionError inOutput = assertThrows(AssertionError.class,
                () -> Npy.assertClose("output", REFERENCE, with(REFERENCE, 0, bad), MAX_ABS, MIN_COSINE));
        assertTrue(inOutput.getMessage().startsWith("output: max |diff| NaN"), inOutput.getMessage());
        assertThrows(AssertionError.class,
                () -> Npy.assertClose("reference", with(REFERENCE, 0, bad), REFERENCE, MAX_ABS, MIN_COSINE));
        assertThrows(AssertionError.class,
                () -> Npy.assertClose("both", with(REFERENCE, 0, bad), with(REFERENCE, 0, bad), MAX_ABS, MIN_COSINE));
    }

    @Test
    void differentLengthsFail() {
        assertThrows(AssertionError.class, () -> Npy.maxAbsDiff(REFERENCE, new float[3]));
        assertThrows(AssertionError.class, () -> Npy.cosine(REFERENCE, new float[5]));
    }
}
