package dev.speakerembedding.features;

import dev.speakerembedding.features.KaldiFbankOptions.MelScale;
import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import java.util.Arrays;
import org.jtransforms.fft.DoubleFFT_1D;

/**
 * A Kaldi-compatible log-mel filterbank, as kaldi-native-fbank computes it (the front end of sherpa-onnx's
 * speaker-embedding models): frames of the signal, DC removal, pre-emphasis, window, power spectrum, mel filters,
 * natural log floored at float32 epsilon.
 *
 * <p>Everything up to the FFT, the window and the mel weights are computed with kaldi-native-fbank's float32
 * arithmetic and rounding order, so they are bit-identical. The FFT, the power spectrum and the mel sums run in
 * float64: kaldi-native-fbank's float32 kissfft is compiled with {@code -ffast-math}, so its rounding cannot be
 * reproduced anyway, and float64 stays closer to the exact values than either. Features then agree with sherpa-onnx's
 * to a few 1e-6 (log domain) except in bins whose power is below ~1e-7 of the frame's strongest bin, where both are
 * dominated by FFT rounding (see the conformance tests for the measured differences).
 *
 * <p>The whole signal is processed in one call, which equals Kaldi's online computation over the same samples.
 * {@code inputFinished} selects the frame count of an online stream before or after {@code InputFinished()}.
 *
 * <p>Instances are immutable and safe to share between threads; each call allocates its own scratch.
 */
public final class KaldiFbank {

    /** Mel energies are floored here before the log: FLT_EPSILON, so the smallest feature is ln(2^-23). */
    public static final float LOG_FLOOR = Math.ulp(1.0f);

    private static final float BLACKMAN_COEFFICIENT = 0.42f;

    private final KaldiFbankOptions options;
    private final int windowSize;
    private final int windowShift;
    private final int fftSize;
    private final float[] window;
    private final int[] melFirstBin;
    private final float[][] melWeights;
    /** melWeights widened once (exactly), so the per-frame sums do no conversions. */
    private final double[][] melWeights64;
    private final DoubleFFT_1D fft;

    /**
     * @throws IllegalArgumentException when a mel filter would cover no FFT bin (too many bins for the FFT size
     *                                  or a too narrow frequency range)
     */
    public KaldiFbank(KaldiFbankOptions options) {
        this.options = options;
        this.windowSize = options.windowSizeSamples();
        this.windowShift = options.windowShiftSamples();
        this.fftSize = options.fftSize();
        this.window = window(options.windowType(), windowSize);
        int bins = options.melBinCount();
        this.melFirstBin = new int[bins];
        this.melWeights = new float[bins][];
        if (options.melScale() == MelScale.KALDI) {
            kaldiMelBanks();
        } else {
            slaneyMelBanks();
        }
        this.melWeights64 = new double[bins][];
        for (int m = 0; m < bins; m++) {
            melWeights64[m] = new double[melWeights[m].length];
            for (int k = 0; k < melWeights[m].length; k++) {
                melWeights64[m][k] = melWeights[m][k];
            }
        }
        this.fft = new DoubleFFT_1D(fftSize);
    }

    public KaldiFbankOptions options() {
        return options;
    }

    /** Values per frame. */
    public int binCount() {
        return options.melBinCount();
    }

    /**
     * Frames Kaldi produces for {@code sampleCount} samples. With snip edges: {@code 1 + (n - length) / shift}
     * (0 when shorter than a frame). Without: {@code (n + shift / 2) / shift} once the input is finished; before
     * that, the frames that would reach past the last sample are not ready yet.
     */
    public int frameCount(long sampleCount, boolean inputFinished) {
        if (sampleCount < 0) {
            throw new IllegalArgumentException("sampleCount must be non-negative, got " + sampleCount);
        }
        long frames;
        if (options.snipEdges()) {
            frames = sampleCount < windowSize ? 0 : 1 + (sampleCount - windowSize) / windowShift;
        } else {
            frames = (sampleCount + windowShift / 2) / windowShift;
            if (!inputFinished) {
                while (frames > 0 && firstSampleOfFrame((int) frames - 1) + windowSize > sampleCount) {
                    frames--;
                }
            }
        }
        return Math.toIntExact(frames);
    }

    /** Index of frame {@code frame}'s first sample; negative for the first frames without snip edges. */
    public long firstSampleOfFrame(int frame) {
        long shift = windowShift;
        return options.snipEdges() ? frame * shift : shift * frame + shift / 2 - windowSize / 2;
    }

    /**
     * Log-mel features {@code [frames][melBinCount]} of {@code samples} (at {@link KaldiFbankOptions#sampleRateHz},
     * in whatever scale the caller chose: sherpa-onnx feeds some models int16-range samples).
     */
    public float[][] compute(float[] samples, boolean inputFinished) {
        int frames = frameCount(samples.length, inputFinished);
        int bins = options.melBinCount();
        float[][] features = new float[frames][bins];
        float[] frame = new float[windowSize];
        double[] spectrum = new double[fftSize];
        double[] power = new double[fftSize / 2 + 1];
        for (int f = 0; f < frames; f++) {
            extract(samples, f, frame);
            process(frame, spectrum);
            Arrays.fill(spectrum, windowSize, fftSize, 0.0);
            fft.realForward(spectrum);
            // JTransforms packs the real spectrum as [Re0, Re(n/2), Re1, Im1, Re2, Im2, ...].
            power[0] = spectrum[0] * spectrum[0];
            power[fftSize / 2] = spectrum[1] * spectrum[1];
            for (int k = 1; k < fftSize / 2; k++) {
                double re = spectrum[2 * k];
                double im = spectrum[2 * k + 1];
                power[k] = re * re + im * im;
            }
            float[] out = features[f];
            for (int m = 0; m < bins; m++) {
                double[] weights = melWeights64[m];
                int first = melFirstBin[m];
                out[m] = (float) Math.log(Math.max(melEnergy(weights, power, first), LOG_FLOOR));
            }
        }
        return features;
    }

    /**
     * One mel filter's energy. Four partial sums instead of one: a single float64 sum is a chain of dependent
     * additions the JIT may not reorder; the reordering changes the float64 sum by a few ulps, far below the float32
     * features' resolution (the conformance tests' differences to sherpa-onnx did not move).
     */
    private static double melEnergy(double[] weights, double[] power, int first) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int n = weights.length;
        int k = 0;
        for (; k + 3 < n; k += 4) {
            s0 += weights[k] * power[first + k];
            s1 += weights[k + 1] * power[first + k + 1];
            s2 += weights[k + 2] * power[first + k + 2];
            s3 += weights[k + 3] * power[first + k + 3];
        }
        for (; k < n; k++) {
            s0 += weights[k] * power[first + k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Copies frame {@code f} into {@code frame}, reflecting indices outside the signal at its ends. */
    private void extract(float[] samples, int f, float[] frame) {
        long start = firstSampleOfFrame(f);
        int n = samples.length;
        if (start >= 0 && start + windowSize <= n) {
            System.arraycopy(samples, (int) start, frame, 0, windowSize);
            return;
        }
        for (int s = 0; s < windowSize; s++) {
            long index = start + s;
            while (index < 0 || index >= n) {
                index = index < 0 ? -index - 1 : 2L * n - 1 - index;
            }
            frame[s] = samples[(int) index];
        }
    }

    /**
     * DC removal (in place), then pre-emphasis and window into {@code spectrum}, in kaldi-native-fbank's float32
     * order: each value is rounded to float32 exactly as before it is widened. Pre-emphasis reads the frame as it
     * was, so one forward pass computes both and the JIT can vectorise it.
     */
    private void process(float[] frame, double[] spectrum) {
        if (options.removeDcOffset()) {
            float sum = 0f;
            for (float v : frame) {
                sum += v;
            }
            float mean = sum / windowSize;
            for (int i = 0; i < windowSize; i++) {
                frame[i] -= mean;
            }
        }
        float c = options.preemphasisCoefficient();
        if (c != 0f) {
            spectrum[0] = (frame[0] - c * frame[0]) * window[0];
            for (int i = 1; i < windowSize; i++) {
                spectrum[i] = (frame[i] - c * frame[i - 1]) * window[i];
            }
        } else {
            for (int i = 0; i < windowSize; i++) {
                spectrum[i] = frame[i] * window[i];
            }
        }
    }

    /** The float32 window in use (a copy). */
    public float[] window() {
        return window.clone();
    }

    /** The mel filters as a dense {@code [melBinCount][fftSize / 2 + 1]} float32 matrix (a copy). */
    public float[][] melMatrix() {
        float[][] dense = new float[melWeights.length][fftSize / 2 + 1];
        for (int m = 0; m < melWeights.length; m++) {
            System.arraycopy(melWeights[m], 0, dense[m], melFirstBin[m], melWeights[m].length);
        }
        return dense;
    }

    static float[] window(WindowType type, int n) {
        double a = type == WindowType.HANN ? 2 * Math.PI / n : 2 * Math.PI / (n - 1);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double x = a * i;
            w[i] = (float) switch (type) {
                case POVEY -> Math.pow(0.5 - 0.5 * Math.cos(x), 0.85);
                case HANN, HANNING -> 0.5 - 0.5 * Math.cos(x);
                case HAMMING -> 0.54 - 0.46 * Math.cos(x);
                case SINE -> Math.sin(0.5 * x);
                case RECTANGULAR -> 1.0;
                case BLACKMAN -> BLACKMAN_COEFFICIENT - 0.5 * Math.cos(x)
                        + (0.5 - BLACKMAN_COEFFICIENT) * Math.cos(2 * x);
            };
        }
        return w;
    }

    /** Kaldi's filters, all in float32 as kaldi-native-fbank builds them (logf of float arguments). */
    private void kaldiMelBanks() {
        int bins = options.melBinCount();
        int fftBins = fftSize / 2;
        float binWidthHz = (float) options.sampleRateHz() / fftSize;
        float melLow = kaldiMel(options.lowFrequencyHz());
        float melHigh = kaldiMel(options.resolvedHighFrequencyHz());
        float delta = (melHigh - melLow) / (bins + 1);
        for (int b = 0; b < bins; b++) {
            float left = melLow + b * delta;
            float centre = melLow + (b + 1) * delta;
            float right = melLow + (b + 2) * delta;
            float[] row = new float[fftBins];
            int first = -1;
            int last = -1;
            for (int i = 0; i < fftBins; i++) {
                float mel = kaldiMel(binWidthHz * i);
                if (mel > left && mel < right) {
                    row[i] = mel <= centre ? (mel - left) / (centre - left) : (right - mel) / (right - centre);
                    if (first < 0) {
                        first = i;
                    }
                    last = i;
                }
            }
            keep(b, row, first, last);
        }
    }

    /** librosa's Slaney filters as kaldi-native-fbank's {@code is_librosa} mode builds them, in float32. */
    private void slaneyMelBanks() {
        int bins = options.melBinCount();
        int fftBins = fftSize / 2 + 1;
        float binWidthHz = (float) options.sampleRateHz() / fftSize;
        float melLow = slaneyMel(options.lowFrequencyHz());
        float melHigh = slaneyMel(options.resolvedHighFrequencyHz());
        float delta = (melHigh - melLow) / (bins + 1);
        for (int b = 0; b < bins; b++) {
            float leftHz = slaneyHz(melLow + b * delta);
            float centreHz = slaneyHz(melLow + (b + 1) * delta);
            float rightHz = slaneyHz(melLow + (b + 2) * delta);
            float[] row = new float[fftBins];
            int first = -1;
            int last = -1;
            for (int i = 0; i < fftBins; i++) {
                float hz = binWidthHz * i;
                if (hz > leftHz && hz < rightHz) {
                    float weight = hz <= centreHz ? (hz - leftHz) / (centreHz - leftHz)
                            : (rightHz - hz) / (rightHz - centreHz);
                    row[i] = weight * (2 / (rightHz - leftHz));
                    if (first < 0) {
                        first = i;
                    }
                    last = i;
                }
            }
            keep(b, row, first, last);
        }
    }

    private void keep(int bin, float[] row, int first, int last) {
        if (first < 0) {
            throw new IllegalArgumentException("mel filter " + bin + " of " + options.melBinCount()
                    + " covers no FFT bin (" + fftSize + "-point FFT at " + options.sampleRateHz() + " Hz, "
                    + options.lowFrequencyHz() + " to " + options.resolvedHighFrequencyHz()
                    + " Hz): fewer mel bins or a wider frequency range are needed");
        }
        melFirstBin[bin] = first;
        melWeights[bin] = Arrays.copyOfRange(row, first, last + 1);
    }

    static float kaldiMel(float hz) {
        return 1127.0f * (float) Math.log(1.0f + hz / 700.0f);
    }

    static float slaneyMel(float hz) {
        if (hz <= 1000) {
            return hz * 3 / 200.0f;
        }
        return 15 + 14.545078505785561f * (float) Math.log(hz / 1000);
    }

    static float slaneyHz(float mel) {
        if (mel <= 15) {
            return 200.0f / 3 * mel;
        }
        return 1000 * (float) Math.exp((mel - 15) * 0.06875177742094911f);
    }
}
