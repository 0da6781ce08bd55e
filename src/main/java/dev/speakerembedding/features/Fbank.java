package dev.speakerembedding.features;

import java.util.Arrays;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * speechbrain 1.0.2 {@code Fbank}: centred STFT with a periodic Hamming window and zero padding, power spectrum,
 * triangular mel filterbank, 10*log10 with a power floor, and a per-utterance top-dB clamp.
 *
 * <p>The window and the filterbank are float32 constants rebuilt exactly as torch builds them (see
 * {@link TorchFloat32}); the spectrum, the projection and the logarithm run in float64, which keeps the result
 * within about 3e-3 dB of torch's float32 pipeline.
 *
 * <p>Instances are immutable and safe to share between threads; {@link #computeDb} allocates its own scratch.
 */
public final class Fbank {

    private final FbankOptions options;
    private final int binCount;
    private final float[] window;
    private final double[] windowWide;
    private final float[][] melMatrix;
    private final int[] bandFirstBin;
    private final double[][] bandWeights;
    private final DoubleFFT_1D fft;

    public Fbank(FbankOptions options) {
        this.options = options;
        this.binCount = options.fftSize() / 2 + 1;
        this.window = TorchFloat32.hammingPeriodic(options.fftSize());
        this.windowWide = new double[window.length];
        for (int i = 0; i < window.length; i++) {
            windowWide[i] = window[i];
        }
        this.melMatrix = melFilterbank(options.sampleRateHz(), binCount, options.melCount());
        this.bandFirstBin = new int[options.melCount()];
        this.bandWeights = new double[options.melCount()][];
        for (int m = 0; m < options.melCount(); m++) {
            // Bins outside a triangle have weight exactly 0 and add nothing, so only the support is kept.
            int first = 0;
            while (first < binCount && melMatrix[first][m] == 0f) {
                first++;
            }
            int end = binCount;
            while (end > first && melMatrix[end - 1][m] == 0f) {
                end--;
            }
            bandFirstBin[m] = first;
            bandWeights[m] = new double[end - first];
            for (int k = first; k < end; k++) {
                bandWeights[m][k - first] = melMatrix[k][m];
            }
        }
        this.fft = new DoubleFFT_1D(options.fftSize());
    }

    public FbankOptions options() {
        return options;
    }

    /** Frames produced for {@code sampleCount} samples: centring makes it 1 + floor(sampleCount / hop). */
    public int frameCount(int sampleCount) {
        if (sampleCount < 0) {
            throw new IllegalArgumentException("sampleCount must be non-negative, got " + sampleCount);
        }
        return 1 + sampleCount / options.hopLength();
    }

    /**
     * Log-mel filterbank energies in dB, row-major [frames][melCount], for samples at
     * {@link FbankOptions#sampleRateHz()} with full scale 1.0.
     */
    public float[] computeDb(float[] samples16k) {
        int sampleCount = samples16k.length;
        int frames = frameCount(sampleCount);
        int melCount = options.melCount();
        int fftSize = options.fftSize();
        int hop = options.hopLength();
        int pad = fftSize / 2;
        double minPower = options.minPower();

        float[] out = new float[Math.multiplyExact(frames, melCount)];
        double[] frame = new double[fftSize];
        double[] power = new double[binCount];
        float maxDb = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < frames; t++) {
            int start = t * hop - pad;
            int from = Math.max(0, -start);
            int to = Math.min(fftSize, sampleCount - start);
            if (to <= from) {
                Arrays.fill(frame, 0.0);
            } else {
                Arrays.fill(frame, 0, from, 0.0);
                for (int i = from; i < to; i++) {
                    frame[i] = samples16k[start + i] * windowWide[i];
                }
                Arrays.fill(frame, to, fftSize, 0.0);
            }
            fft.realForward(frame);
            // JTransforms packs the real spectrum as [Re0, Re(n/2), Re1, Im1, Re2, Im2, ...].
            power[0] = frame[0] * frame[0];
            power[binCount - 1] = frame[1] * frame[1];
            for (int k = 1; k < binCount - 1; k++) {
                double re = frame[2 * k];
                double im = frame[2 * k + 1];
                power[k] = re * re + im * im;
            }
            int row = t * melCount;
            for (int m = 0; m < melCount; m++) {
                double[] weights = bandWeights[m];
                int first = bandFirstBin[m];
                double sum = 0.0;
                for (int k = 0; k < weights.length; k++) {
                    sum += weights[k] * power[first + k];
                }
                float db = (float) (10.0 * Math.log10(Math.max(sum, minPower)));
                out[row + m] = db;
                if (db > maxDb) {
                    maxDb = db;
                }
            }
        }
        float floorDb = maxDb - (float) options.topDb();
        for (int i = 0; i < out.length; i++) {
            if (out[i] < floorDb) {
                out[i] = floorDb;
            }
        }
        return out;
    }

    /** The float32 periodic Hamming window in use (a copy). */
    float[] window() {
        return window.clone();
    }

    /** The float32 mel filterbank in use, [bin][band] like speechbrain's matrix (a deep copy). */
    float[][] melMatrix() {
        float[][] copy = new float[melMatrix.length][];
        for (int k = 0; k < melMatrix.length; k++) {
            copy[k] = melMatrix[k].clone();
        }
        return copy;
    }

    /**
     * speechbrain {@code Filterbank}: mel points equally spaced (float32 linspace) between 0 and the Nyquist
     * frequency, back to Hz in float32, then symmetric triangles whose half-width is the distance to the left
     * neighbour point, evaluated at the float32 linspace of bin frequencies.
     */
    static float[][] melFilterbank(int sampleRateHz, int binCount, int melCount) {
        double maxMel = 2595.0 * Math.log10(1.0 + (sampleRateHz / 2.0) / 700.0);
        int points = melCount + 2;
        float[] mel = TorchFloat32.linspace(0f, (float) maxMel, points);
        float[] hz = new float[points];
        for (int i = 0; i < points; i++) {
            float exponent = mel[i] / 2595f;
            hz[i] = 700f * (TorchFloat32.pow(10f, exponent, i, points) - 1f);
        }
        float[] binHz = TorchFloat32.linspace(0f, (float) (sampleRateHz / 2), binCount);
        float[][] matrix = new float[binCount][melCount];
        for (int m = 0; m < melCount; m++) {
            float centre = hz[m + 1];
            float halfWidth = hz[m + 1] - hz[m];
            for (int k = 0; k < binCount; k++) {
                float slope = (binHz[k] - centre) / halfWidth;
                matrix[k][m] = Math.max(0f, Math.min(slope + 1f, -slope + 1f));
            }
        }
        return matrix;
    }
}
