package dev.speakerembedding.audio;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torchaudio 0.13 {@code functional.resample} with its defaults (sinc_interp_hann, lowpass_filter_width 6,
 * rolloff 0.99), which is what speechbrain's AudioNormalizer applies.
 *
 * <p>The kernel is built like torchaudio builds it (float64 except the phase j/n, which torch computes in float32)
 * and stored as float32. Only the non-zero span of every kernel row is kept: the clamped Hann window makes the
 * rest exactly zero, and for 44.1 kHz that skips 93% of the taps. The dot products run in float64, which stays
 * within about 2e-7 of torch's float32 convolution. Kernels are cached per rate pair (bounded, thread-safe).
 */
public final class Resampler {

    private static final int LOWPASS_FILTER_WIDTH = 6;
    private static final double ROLLOFF = 0.99;

    /** Kernels for this many rate pairs are kept; a service sees only a handful of input rates. */
    private static final int MAX_CACHED_KERNELS = 16;
    /**
     * Taps kept over all cached kernels (4 bytes each). Common rates need under 6000 taps; a coprime pair such as
     * 767999 -> 16000 needs 16000 rows of ~590 taps, which is rebuilt per call rather than cached.
     */
    private static final long MAX_CACHED_TAPS = 4_000_000;

    /** Access-ordered, so iteration starts at the least recently used kernel. Guarded by itself. */
    private static final LinkedHashMap<Long, Kernel> CACHE = new LinkedHashMap<>(32, 0.75f, true);
    private static long cachedTaps;

    private Resampler() {
    }

    /**
     * Largest kernel (non-zero taps over all phases) a request may make us build: every common rate needs under
     * 10,000, while a rate coprime with the target (767999 Hz, say) needs millions and seconds of work per call.
     */
    public static final long MAX_KERNEL_TAPS = 1_000_000;

    /** About how many non-zero taps the kernel for this pair holds: phases × taps inside the window. */
    public static long kernelTaps(int fromHz, int toHz) {
        if (fromHz == toHz) {
            return 0;
        }
        int gcd = Kernel.gcd(fromHz, toHz);
        long o = fromHz / gcd;
        long n = toHz / gcd;
        double tapsPerPhase = 2.0 * LOWPASS_FILTER_WIDTH * o / (Math.min(o, n) * ROLLOFF) + 1;
        return (long) Math.ceil(n * tapsPerPhase);
    }

    /**
     * Resamples one channel from {@code fromHz} to {@code toHz}; returns a copy when the rates are equal.
     * The output has ceil(N * toHz / fromHz) samples (computed on the gcd-reduced rates, as torchaudio does).
     */
    public static float[] resample(float[] samples, int fromHz, int toHz) {
        if (fromHz <= 0 || toHz <= 0) {
            throw new IllegalArgumentException("sample rates must be positive, got " + fromHz + " -> " + toHz);
        }
        if (fromHz == toHz) {
            return samples.clone();
        }
        return kernel(fromHz, toHz).apply(samples);
    }

    /** The (cached) kernel for a rate pair. */
    static Kernel kernel(int fromHz, int toHz) {
        Long key = ((long) fromHz << 32) | toHz;
        synchronized (CACHE) {
            Kernel cached = CACHE.get(key);
            if (cached != null) {
                return cached;
            }
        }
        // Built outside the lock: a duplicate build on a race is harmless and cheaper than blocking other rates.
        Kernel built = Kernel.build(fromHz, toHz);
        long taps = built.storedTaps();
        if (taps <= MAX_CACHED_TAPS) {
            synchronized (CACHE) {
                if (CACHE.putIfAbsent(key, built) == null) {
                    cachedTaps += taps;
                    Iterator<Map.Entry<Long, Kernel>> eldest = CACHE.entrySet().iterator();
                    while (CACHE.size() > MAX_CACHED_KERNELS || cachedTaps > MAX_CACHED_TAPS) {
                        cachedTaps -= eldest.next().getValue().storedTaps();
                        eldest.remove();
                    }
                }
            }
        }
        return built;
    }

    /**
     * Polyphase kernel: output sample m*phases+j is the dot product of row j with the input (zero-padded by W in
     * front, W + o behind) starting at padded index m*inputStride + firstTap[j].
     *
     * @param inputStride the reduced input rate o (input samples consumed per block of phases outputs)
     * @param phases      the reduced output rate n (outputs per block)
     * @param width       W, the zero padding in front (and W + o behind) of the input
     * @param tapCount    full kernel row length 2W + o, as torchaudio stores it
     * @param firstTap    per row, the index of its first non-zero tap
     * @param weights     per row, the float32 weights from firstTap to the last non-zero tap
     */
    record Kernel(int inputStride, int phases, int width, int tapCount, int[] firstTap, float[][] weights) {

        static Kernel build(int fromHz, int toHz) {
            int gcd = gcd(fromHz, toHz);
            int o = fromHz / gcd;
            int n = toHz / gcd;
            double baseFreq = Math.min(o, n) * ROLLOFF;
            int width = (int) Math.ceil(LOWPASS_FILTER_WIDTH * (double) o / baseFreq);
            long tapCountLong = 2L * width + o;
            if (tapCountLong > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("resampling kernel " + fromHz + " -> " + toHz + " is too large");
            }
            int tapCount = (int) tapCountLong;
            double scale = baseFreq / o;
            int[] firstTap = new int[n];
            float[][] weights = new float[n][];
            double reach = LOWPASS_FILTER_WIDTH / baseFreq * o;
            for (int j = 0; j < n; j++) {
                // torch computes arange(0, -n, -1) / n in float32 before adding the float64 tap offsets.
                float phase = (float) -j / (float) n;
                // Beyond |t * baseFreq| = 6 the clamp pins the window at cos(pi/2)^2, so those taps round to 0f;
                // only the span inside (plus a safety margin) is evaluated, which keeps odd rate pairs cheap.
                double centre = width - (double) phase * o;
                int from = (int) Math.max(0, Math.floor(centre - reach) - 2);
                int to = (int) Math.min(tapCount - 1, Math.ceil(centre + reach) + 2);
                float[] span = new float[Math.max(0, to - from + 1)];
                int first = -1;
                int last = -1;
                for (int k = from; k <= to; k++) {
                    float value = tap(phase, k, width, o, baseFreq, scale);
                    span[k - from] = value;
                    if (value != 0f) {
                        if (first < 0) {
                            first = k;
                        }
                        last = k;
                    }
                }
                if (first < 0) {
                    first = from;
                    last = from - 1;
                }
                firstTap[j] = first;
                weights[j] = new float[last - first + 1];
                for (int k = first; k <= last; k++) {
                    weights[j][k - first] = span[k - from];
                }
            }
            return new Kernel(o, n, width, tapCount, firstTap, weights);
        }

        /** One float32 kernel entry, with torchaudio's operation order. */
        private static float tap(float phase, int k, int width, int o, double baseFreq, double scale) {
            double t = ((double) phase + (double) (k - width) / o) * baseFreq;
            t = Math.max(-LOWPASS_FILTER_WIDTH, Math.min(LOWPASS_FILTER_WIDTH, t));
            double window = StrictMath.cos(t * Math.PI / LOWPASS_FILTER_WIDTH / 2);
            window = window * window;
            t *= Math.PI;
            double sinc = t == 0 ? 1.0 : StrictMath.sin(t) / t;
            return (float) (sinc * (window * scale));
        }

        long storedTaps() {
            long total = 0;
            for (float[] row : weights) {
                total += row.length;
            }
            return total;
        }

        /** The full [phases][tapCount] float32 kernel as torchaudio holds it (zeros included). */
        float[][] dense() {
            float[][] dense = new float[phases][tapCount];
            for (int j = 0; j < phases; j++) {
                for (int k = 0; k < weights[j].length; k++) {
                    dense[j][firstTap[j] + k] = weights[j][k];
                }
            }
            return dense;
        }

        float[] apply(float[] samples) {
            int sampleCount = samples.length;
            long outLong = ((long) sampleCount * phases + inputStride - 1) / inputStride;
            if (outLong > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("resampled signal of " + outLong + " samples is too long");
            }
            int outLength = (int) outLong;
            float[] out = new float[outLength];
            int outIndex = 0;
            // Input index of tap 0 for the current block; torchaudio's zero padding puts it W samples early.
            long blockStart = -width;
            while (outIndex < outLength) {
                for (int j = 0; j < phases && outIndex < outLength; j++) {
                    float[] w = weights[j];
                    long start = blockStart + firstTap[j];
                    out[outIndex++] = start >= 0 && start + w.length <= sampleCount
                            ? (float) dot(w, samples, (int) start)
                            : (float) dotWithZeroPadding(w, samples, start);
                }
                blockStart += inputStride;
            }
            return out;
        }

        /** float32 products are exact in float64; four independent sums let the JIT overlap the add latencies. */
        private static double dot(float[] w, float[] x, int offset) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int length = w.length;
            int k = 0;
            for (; k + 3 < length; k += 4) {
                s0 += (double) w[k] * x[offset + k];
                s1 += (double) w[k + 1] * x[offset + k + 1];
                s2 += (double) w[k + 2] * x[offset + k + 2];
                s3 += (double) w[k + 3] * x[offset + k + 3];
            }
            for (; k < length; k++) {
                s0 += (double) w[k] * x[offset + k];
            }
            return (s0 + s1) + (s2 + s3);
        }

        /** The few outputs near either end, whose taps reach into the zero padding. */
        private static double dotWithZeroPadding(float[] w, float[] x, long start) {
            double sum = 0;
            for (int k = 0; k < w.length; k++) {
                long i = start + k;
                if (i >= 0 && i < x.length) {
                    sum += (double) w[k] * x[(int) i];
                }
            }
            return sum;
        }

        static int gcd(int a, int b) {
            while (b != 0) {
                int r = a % b;
                a = b;
                b = r;
            }
            return a;
        }
    }
}
