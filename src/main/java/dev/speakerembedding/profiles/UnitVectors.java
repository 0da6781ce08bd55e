package dev.speakerembedding.profiles;

import java.util.Objects;

/**
 * The checks and arithmetic that every score goes through, so that verify and identify give the same number for
 * the same profile and probe: a vector is checked, scaled to unit length once and rounded to float32, and scores
 * are cosines of such vectors computed in double.
 */
public final class UnitVectors {

    private UnitVectors() {
    }

    /**
     * A unit-length float32 copy of {@code vector}.
     *
     * @param role what the vector is, for the message ("probe", "enrollment 3")
     * @throws InvalidVectorException when its length is not {@code dimension}, it holds NaN or infinity, or it is
     *                                zero
     */
    public static float[] unitLength(float[] vector, int dimension, String role) {
        Objects.requireNonNull(vector, role);
        if (vector.length != dimension) {
            throw new InvalidVectorException(InvalidVectorException.Reason.DIMENSION_MISMATCH,
                    role + " has " + vector.length + " values, expected " + dimension);
        }
        double squares = 0;
        for (int i = 0; i < vector.length; i++) {
            float v = vector[i];
            if (!Float.isFinite(v)) {
                throw new InvalidVectorException(InvalidVectorException.Reason.NOT_FINITE,
                        role + " has a NaN or infinite value at index " + i);
            }
            squares += (double) v * v;
        }
        double norm = Math.sqrt(squares);
        if (!(norm > 0)) {
            throw new InvalidVectorException(InvalidVectorException.Reason.ZERO_VECTOR, role + " is a zero vector");
        }
        float[] unit = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            unit[i] = (float) (vector[i] / norm);
        }
        return unit;
    }

    /**
     * The cosine of a row of {@code matrix} (at {@code offset}) and {@code unit}, in double: their dot product
     * divided by both norms, so that the float32 rounding of the unit vectors does not show (a vector against
     * itself scores 1), clamped to [-1, 1].
     */
    static double cosine(float[] matrix, int offset, float[] unit) {
        double dot = 0;
        double rowSquares = 0;
        double unitSquares = 0;
        for (int i = 0; i < unit.length; i++) {
            double a = matrix[offset + i];
            double b = unit[i];
            dot += a * b;
            rowSquares += a * a;
            unitSquares += b * b;
        }
        return clampCosine(dot / Math.sqrt(rowSquares * unitSquares));
    }

    private static double clampCosine(double dot) {
        return Math.max(-1.0, Math.min(1.0, dot));
    }
}
