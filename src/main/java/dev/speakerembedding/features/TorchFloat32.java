package dev.speakerembedding.features;

/**
 * The float32 element functions that torch 1.13 runs on an x86-64 CPU with AVX2 while speechbrain builds its
 * constant tensors (STFT window, mel filterbank).
 *
 * <p>Torch evaluates element-wise ops in blocks of two 8-lane vectors and the leftover tail with scalar libm
 * calls; the vector lanes use SLEEF (with FMA), whose float results are sometimes one ulp away from the
 * correctly rounded value. One such ulp in one mel centre frequency moves a filterbank weight by 3e-6, so the
 * SLEEF algorithms are reproduced here operation by operation instead of calling {@link Math}.
 */
final class TorchFloat32 {

    /** Float lanes of an AVX2 register; torch processes {@code 2 * VECTOR_LANES} elements per loop step. */
    static final int VECTOR_LANES = 8;

    private TorchFloat32() {
    }

    /** Count of leading elements that torch computes in vector lanes; the rest go through scalar code. */
    static int vectorizedPrefix(int length) {
        return length - length % (2 * VECTOR_LANES);
    }

    /**
     * {@code torch.linspace(start, end, steps)} in float32: the first half counts up from start, the second half
     * down from end, and inside a vector block every lane adds {@code lane * step} to the block's first value.
     */
    static float[] linspace(float start, float end, int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("linspace needs at least 2 steps, got " + steps);
        }
        float step = (end - start) / (float) (steps - 1);
        int halfway = steps / 2;
        float[] out = new float[steps];
        int vectorEnd = vectorizedPrefix(steps);
        for (int block = 0; block < vectorEnd; block += VECTOR_LANES) {
            float base = block < halfway
                    ? start + step * (float) block
                    : end - step * (float) (steps - block - 1);
            for (int lane = 0; lane < VECTOR_LANES; lane++) {
                out[block + lane] = base + (float) lane * step;
            }
        }
        for (int i = vectorEnd; i < steps; i++) {
            out[i] = i < halfway ? start + step * (float) i : end - step * (float) (steps - i - 1);
        }
        return out;
    }

    /** {@code base ** exponent} element {@code index} of a tensor of {@code length} elements. */
    static float pow(float base, float exponent, int index, int length) {
        return index < vectorizedPrefix(length)
                ? sleefPowf(base, exponent)
                : (float) StrictMath.pow(base, exponent);
    }

    /** {@code cos(x)} element {@code index} of a tensor of {@code length} elements. */
    static float cos(float x, int index, int length) {
        return index < vectorizedPrefix(length) ? sleefCosf(x) : (float) StrictMath.cos(x);
    }

    /**
     * {@code torch.hamming_window(length, periodic=True)}: arange(length + 1) * float(2 pi / length), cosine,
     * times -0.46, plus 0.54, all in float32.
     */
    static float[] hammingPeriodic(int length) {
        int extended = length + 1;
        float angleStep = (float) (Math.PI * 2.0 / (double) (extended - 1));
        float[] window = new float[length];
        for (int i = 0; i < length; i++) {
            float c = cos((float) i * angleStep, i, extended);
            window[i] = c * -0.46f + 0.54f;
        }
        return window;
    }

    /**
     * SLEEF 3.x {@code xpowf} (u10, FMA build) for a positive finite base and finite exponent: exp(y * log x)
     * with both halves in float-float arithmetic.
     */
    static float sleefPowf(float x, float y) {
        if (!(x > 0f) || Float.isInfinite(x) || !Float.isFinite(y)) {
            throw new IllegalArgumentException("sleefPowf is only reproduced for positive finite base and finite"
                    + " exponent, got " + x + " ** " + y);
        }
        if (y == 0f || x == 1f) {
            return 1f;
        }
        float result = expk(mul(logk(x), y));
        return Float.isNaN(result) ? Float.POSITIVE_INFINITY : result;
    }

    /** SLEEF 3.x {@code xcosf_u1} (u10, FMA build) for |x| below 125 (no large-argument reduction needed here). */
    static float sleefCosf(float d) {
        if (!(Math.abs(d) < 125.0f)) {
            throw new IllegalArgumentException("sleefCosf is only reproduced for |x| < 125, got " + d);
        }
        float dq = Math.fma((float) Math.rint(Math.fma(d, (float) (1.0 / Math.PI), -0.5f)), 2f, 1f);
        int q = (int) Math.rint(dq);
        float[] s = add2(d, dq * (-PI_A2F * 0.5f));
        s = add2(s, dq * (-PI_B2F * 0.5f));
        s = add2(s, dq * (-PI_C2F * 0.5f));
        float[] t = s;
        s = square(s);
        float u = 2.6083159809786593541503e-06f;
        u = Math.fma(u, s[0], -0.0001981069071916863322258f);
        u = Math.fma(u, s[0], 0.00833307858556509017944336f);
        float[] x = add(1f, mul(add(-0.166666597127914428710938f, u * s[0]), s));
        float r = mulToFloat(t, x);
        return (q & 2) == 0 ? -r : r;
    }

    private static final float PI_A2F = 3.1414794921875f;
    private static final float PI_B2F = 0.00011315941810607910156f;
    private static final float PI_C2F = 1.9841872589410058936e-09f;

    private static final float R_LN2F = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    private static final float L2UF = 0.693145751953125f;
    private static final float L2LF = 1.428606765330187045e-06f;

    private static float[] logk(float d) {
        int e = ilogbk(d * (1.0f / 0.75f));
        float m = Math.scalb(d, -e);
        float[] x = div(add2(-1f, m), add2(1f, m));
        float[] x2 = square(x);
        float t = 0.240320354700088500976562f;
        t = Math.fma(t, x2[0], 0.285112679004669189453125f);
        t = Math.fma(t, x2[0], 0.400007992982864379882812f);
        float[] c = {0.66666662693023681640625f, 3.69183861259614332084311e-09f};
        float[] ln2 = {0.69314718246459960938f, -1.904654323148236017e-09f};
        return add2(mul(ln2, (float) e),
                add2(scale(x, 2f), mul(mul(x2, x), add2(mul(x2, t), c))));
    }

    private static float expk(float[] d) {
        float u = (d[0] + d[1]) * R_LN2F;
        int q = (int) Math.rint(u);
        float[] s = add2(d, (float) q * -L2UF);
        s = add2(s, (float) q * -L2LF);
        s = normalize(s);
        u = 0.00136324646882712841033936f;
        u = Math.fma(u, s[0], 0.00836596917361021041870117f);
        u = Math.fma(u, s[0], 0.0416710823774337768554688f);
        u = Math.fma(u, s[0], 0.166665524244308471679688f);
        u = Math.fma(u, s[0], 0.499999850988388061523438f);
        float[] t = addOrdered(s, mul(square(s), u));
        t = add(1f, t);
        float result = Math.scalb(t[0] + t[1], q);
        return d[0] < -104f ? 0f : result;
    }

    private static int ilogbk(float d) {
        boolean tiny = d < 5.421010862427522E-20f;
        if (tiny) {
            d = 1.8446744073709552E19f * d;
        }
        int q = (Float.floatToRawIntBits(d) >>> 23) & 0xff;
        return tiny ? q - (64 + 0x7f) : q - 0x7f;
    }

    // Float-float helpers (SLEEF df.h, FMA variants). A pair is {high, low}.

    private static float[] normalize(float[] t) {
        float sx = t[0] + t[1];
        return new float[] {sx, (t[0] - sx) + t[1]};
    }

    private static float[] scale(float[] d, float s) {
        return new float[] {d[0] * s, d[1] * s};
    }

    private static float[] add2(float x, float y) {
        float rx = x + y;
        float v = rx - x;
        return new float[] {rx, (x - (rx - v)) + (y - v)};
    }

    private static float[] add2(float[] x, float y) {
        float rx = x[0] + y;
        float v = rx - x[0];
        float ry = (x[0] - (rx - v)) + (y - v);
        return new float[] {rx, ry + x[1]};
    }

    private static float[] add2(float[] x, float[] y) {
        float rx = x[0] + y[0];
        float v = rx - x[0];
        float ry = (x[0] - (rx - v)) + (y[0] - v);
        return new float[] {rx, ry + (x[1] + y[1])};
    }

    /** dfadd for |x| >= |y|. */
    private static float[] addOrdered(float[] x, float[] y) {
        float rx = x[0] + y[0];
        return new float[] {rx, (((x[0] - rx) + y[0]) + x[1]) + y[1]};
    }

    private static float[] add(float x, float[] y) {
        float rx = x + y[0];
        return new float[] {rx, ((x - rx) + y[0]) + y[1]};
    }

    private static float[] add(float x, float y) {
        float rx = x + y;
        return new float[] {rx, (x - rx) + y};
    }

    private static float[] mul(float[] x, float y) {
        float rx = x[0] * y;
        return new float[] {rx, Math.fma(x[1], y, Math.fma(x[0], y, -rx))};
    }

    private static float[] mul(float[] x, float[] y) {
        float rx = x[0] * y[0];
        return new float[] {rx, Math.fma(x[0], y[1], Math.fma(x[1], y[0], Math.fma(x[0], y[0], -rx)))};
    }

    private static float mulToFloat(float[] x, float[] y) {
        return Math.fma(x[0], y[0], Math.fma(x[1], y[0], x[0] * y[1]));
    }

    private static float[] square(float[] x) {
        float rx = x[0] * x[0];
        return new float[] {rx, Math.fma(x[0] + x[0], x[1], Math.fma(x[0], x[0], -rx))};
    }

    private static float[] div(float[] n, float[] d) {
        float t = 1.0f / d[0];
        float qx = n[0] * t;
        float u = Math.fma(t, n[0], -qx);
        float qy = Math.fma(-d[1], t, Math.fma(-d[0], t, 1f));
        return new float[] {qx, Math.fma(qx, qy, Math.fma(n[1], t, u))};
    }
}
