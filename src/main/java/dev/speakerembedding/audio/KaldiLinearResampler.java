package dev.speakerembedding.audio;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Kaldi's {@code LinearResample} as sherpa-onnx 1.13.8 uses it in front of its speaker-embedding models: a
 * windowed-sinc FIR (Hann-windowed, 6 zero crossings, cutoff 0.99 of the lower Nyquist frequency) evaluated at the
 * exact rational output positions, and <b>never flushed</b>, so the last ~0.4 ms of input produce no output.
 *
 * <p>Hand-written rather than taken from a library on purpose: the numbers these models return depend on the
 * exact samples the front end sees, and the reference (sherpa-onnx) fixes every detail that a general resampler
 * would choose differently: torchaudio's {@link Resampler} (a different kernel and output length), the dropped tail,
 * and the float32 rounding of the filter argument, the weights and the sequential dot products. Reproducing those
 * makes the resampled signal bit-identical to sherpa-onnx's (checked through the features in the conformance tests).
 *
 * <p>sherpa-onnx feeds the resampler in one call per {@code acceptWaveform} and keeps state between calls; with
 * flush false that gives the same output as one call over the whole signal, which is what {@link #resample} does.
 *
 * <p>Instances are immutable and thread-safe. {@link #forRates} caches the weights of a few rate pairs.
 */
public final class KaldiLinearResampler {

    /** Zero crossings of the sinc on each side of the filter centre (sherpa-onnx passes 6). */
    public static final int NUM_ZEROS = 6;

    /**
     * Largest weight table a rate pair may need: common rates need a few thousand weights, while a rate coprime
     * with the target (767999 Hz to 16 kHz) needs ~9 million and half a second to build.
     */
    public static final long MAX_WEIGHTS = 2_000_000;

    private static final int MAX_CACHED = 16;
    /** Larger tables (odd rate pairs) are rebuilt per call rather than kept: 16 of them stay under 16 MB. */
    private static final long MAX_CACHED_WEIGHTS = 250_000;
    /** Access-ordered: iteration starts at the least recently used pair. Guarded by itself. */
    private static final LinkedHashMap<Long, KaldiLinearResampler> CACHE = new LinkedHashMap<>(32, 0.75f, true);

    private final int inputRateHz;
    private final int outputRateHz;
    private final int inputUnit;
    private final int outputUnit;
    private final float cutoffHz;
    /** Per output phase (output index modulo outputUnit): the first input index its weights apply to. */
    private final long[] firstIndex;
    private final float[][] weights;

    /**
     * Builds the filter for {@code inputRateHz -> outputRateHz}.
     *
     * @throws IllegalArgumentException when a rate is not positive, the rates are equal, or the pair needs more
     *                                  than {@link #MAX_WEIGHTS} weights
     */
    public KaldiLinearResampler(int inputRateHz, int outputRateHz) {
        if (inputRateHz <= 0 || outputRateHz <= 0) {
            throw new IllegalArgumentException("sample rates must be positive, got " + inputRateHz + " Hz -> "
                    + outputRateHz + " Hz");
        }
        if (inputRateHz == outputRateHz) {
            throw new IllegalArgumentException("no resampling needed for " + inputRateHz + " Hz -> "
                    + outputRateHz + " Hz");
        }
        long count = weightCount(inputRateHz, outputRateHz);
        if (count > MAX_WEIGHTS) {
            throw new IllegalArgumentException("resampling " + inputRateHz + " Hz -> " + outputRateHz + " Hz needs "
                    + count + " filter weights, more than the " + MAX_WEIGHTS + " allowed");
        }
        this.inputRateHz = inputRateHz;
        this.outputRateHz = outputRateHz;
        int gcd = gcd(inputRateHz, outputRateHz);
        this.inputUnit = inputRateHz / gcd;
        this.outputUnit = outputRateHz / gcd;
        this.cutoffHz = cutoffHz(inputRateHz, outputRateHz);
        this.firstIndex = new long[outputUnit];
        this.weights = new float[outputUnit][];
        double windowWidthSeconds = NUM_ZEROS / (2.0 * cutoffHz);
        for (int i = 0; i < outputUnit; i++) {
            double outputSeconds = i / (double) outputRateHz;
            long first = (long) Math.ceil((outputSeconds - windowWidthSeconds) * inputRateHz);
            long last = (long) Math.floor((outputSeconds + windowWidthSeconds) * inputRateHz);
            float[] row = new float[(int) (last - first + 1)];
            for (long j = first; j <= last; j++) {
                // The filter takes a float argument in Kaldi: the time difference is rounded to float32 first.
                float deltaSeconds = (float) (j / (double) inputRateHz - outputSeconds);
                row[(int) (j - first)] = filter(deltaSeconds) / (float) inputRateHz;
            }
            firstIndex[i] = first;
            weights[i] = row;
        }
    }

    /**
     * A shared instance for the rate pair, built once (a bounded cache: a service sees a handful of rates; common
     * pairs need a few thousand weights, 44.1 kHz to 16 kHz 160 rows of 35).
     */
    public static KaldiLinearResampler forRates(int inputRateHz, int outputRateHz) {
        Long key = ((long) inputRateHz << 32) | (outputRateHz & 0xffffffffL);
        synchronized (CACHE) {
            KaldiLinearResampler cached = CACHE.get(key);
            if (cached != null) {
                return cached;
            }
        }
        // Built outside the lock: a duplicate build on a race is harmless and cheaper than blocking other rates.
        KaldiLinearResampler built = new KaldiLinearResampler(inputRateHz, outputRateHz);
        if (weightCount(inputRateHz, outputRateHz) > MAX_CACHED_WEIGHTS) {
            return built;
        }
        synchronized (CACHE) {
            CACHE.putIfAbsent(key, built);
            Iterator<Map.Entry<Long, KaldiLinearResampler>> eldest = CACHE.entrySet().iterator();
            while (CACHE.size() > MAX_CACHED) {
                eldest.next();
                eldest.remove();
            }
        }
        return built;
    }

    /** About how many filter weights the pair needs: one row per output phase, 2·width·inputRate taps per row. */
    public static long weightCount(int inputRateHz, int outputRateHz) {
        if (inputRateHz <= 0 || outputRateHz <= 0 || inputRateHz == outputRateHz) {
            return 0;
        }
        long outputUnit = outputRateHz / gcd(inputRateHz, outputRateHz);
        double windowWidthSeconds = NUM_ZEROS / (2.0 * cutoffHz(inputRateHz, outputRateHz));
        long tapsPerRow = (long) Math.floor(2 * windowWidthSeconds * inputRateHz) + 2;
        return outputUnit * tapsPerRow;
    }

    public int inputRateHz() {
        return inputRateHz;
    }

    public int outputRateHz() {
        return outputRateHz;
    }

    /** The low-pass cutoff: 0.99 of half the lower rate, computed in double and stored as float32 as Kaldi does. */
    public float cutoffHz() {
        return cutoffHz;
    }

    /**
     * How many samples {@link #resample} returns for {@code inputSampleCount} input samples: the outputs whose
     * filter window lies entirely inside the input (Kaldi's count with flush false, in its integer ticks with the
     * window width in float32).
     */
    public long outputCount(long inputSampleCount) {
        long tickHz = (long) inputRateHz / gcd(inputRateHz, outputRateHz) * outputRateHz;
        long ticksPerInput = tickHz / inputRateHz;
        long ticksPerOutput = tickHz / outputRateHz;
        long intervalTicks = inputSampleCount * ticksPerInput;
        float windowWidthSeconds = (float) (NUM_ZEROS / (2.0 * cutoffHz));
        intervalTicks -= (long) Math.floor(windowWidthSeconds * (float) tickHz);
        if (intervalTicks <= 0) {
            return 0;
        }
        long last = intervalTicks / ticksPerOutput;
        if (last * ticksPerOutput == intervalTicks) {
            last--;
        }
        return last + 1;
    }

    /**
     * Resamples a whole signal as sherpa-onnx does with one {@code acceptWaveform} call: the signal is taken as
     * zero before its start, and the outputs that would need samples past its end are not produced.
     */
    public float[] resample(float[] input) {
        long count = outputCount(input.length);
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resampling " + input.length + " samples gives too many outputs");
        }
        float[] output = new float[(int) count];
        for (int k = 0; k < output.length; k++) {
            int unit = k / outputUnit;
            int phase = k - unit * outputUnit;
            long first = firstIndex[phase] + (long) unit * inputUnit;
            float[] row = weights[phase];
            // float32 accumulation in order, as Kaldi's dot product: this keeps the output bit-identical.
            float sum = 0f;
            if (first >= 0 && first + row.length <= input.length) {
                int base = (int) first;
                for (int m = 0; m < row.length; m++) {
                    sum += row[m] * input[base + m];
                }
            } else {
                for (int m = 0; m < row.length; m++) {
                    long index = first + m;
                    if (index >= 0 && index < input.length) {
                        sum += row[m] * input[(int) index];
                    }
                }
            }
            output[k] = sum;
        }
        return output;
    }

    /** Hann-windowed sinc at {@code tSeconds}: evaluated in double from the float argument, factors kept in float. */
    private float filter(float tSeconds) {
        double t = tSeconds;
        float window;
        if (Math.abs(t) < NUM_ZEROS / (2.0 * cutoffHz)) {
            window = (float) (0.5 * (1 + Math.cos(2 * Math.PI * cutoffHz / NUM_ZEROS * t)));
        } else {
            window = 0f;
        }
        float sinc;
        if (t != 0) {
            sinc = (float) (Math.sin(2 * Math.PI * cutoffHz * t) / (Math.PI * t));
        } else {
            sinc = 2 * cutoffHz;
        }
        return sinc * window;
    }

    private static float cutoffHz(int inputRateHz, int outputRateHz) {
        float minRateHz = Math.min(inputRateHz, outputRateHz);
        return (float) (0.99 * 0.5 * minRateHz);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
