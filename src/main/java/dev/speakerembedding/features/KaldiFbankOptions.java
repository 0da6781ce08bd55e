package dev.speakerembedding.features;

import java.util.Locale;
import java.util.Objects;

/**
 * The options of a Kaldi-compatible log-mel filterbank (kaldi-native-fbank's {@code FbankOptions}), limited to the
 * ones that vary between the models served here. Everything else is fixed at the value those models use: dither 0,
 * FFT size rounded up to a power of two, power spectrum (not magnitude), log of the mel energies floored at
 * {@link KaldiFbank#LOG_FLOOR} (float32 epsilon), no energy coefficient, no VTLN.
 *
 * @param sampleRateHz           rate of the samples the filterbank is given, in Hz
 * @param frameLengthMs          frame (window) length in ms; in samples {@code int(rate * 0.001f * ms)} in float32
 * @param frameShiftMs           distance between frame starts in ms, converted to samples like the length
 * @param melBinCount            number of triangular mel filters (output values per frame), at least 3
 * @param windowType             window applied to each frame after DC removal and pre-emphasis
 * @param removeDcOffset         subtract each frame's mean before pre-emphasis
 * @param preemphasisCoefficient {@code x[i] -= c * x[i-1]} per frame (0 disables it), in [0, 1]
 * @param snipEdges              true: frames lie wholly inside the signal and the first starts at sample 0; false:
 *                               frame {@code f} is centred on {@code f * shift + shift / 2} and samples outside the
 *                               signal are reflected at its ends
 * @param lowFrequencyHz         lower edge of the first mel filter, in Hz, at least 0
 * @param highFrequencyHz        upper edge of the last mel filter, in Hz; a value of 0 or below is added to the
 *                               Nyquist frequency (-400 means Nyquist - 400 Hz)
 * @param melScale               Kaldi's mel filters or librosa's (Slaney) ones
 */
public record KaldiFbankOptions(int sampleRateHz, float frameLengthMs, float frameShiftMs, int melBinCount,
                                WindowType windowType, boolean removeDcOffset, float preemphasisCoefficient,
                                boolean snipEdges, float lowFrequencyHz, float highFrequencyHz, MelScale melScale) {

    /** Kaldi's frame windows, computed in double and stored as float32. */
    public enum WindowType {
        /** Kaldi's default: {@code (0.5 - 0.5 cos(2 pi i / (N - 1)))^0.85}, like Hamming but zero at both ends. */
        POVEY,
        /** <b>Periodic</b> Hann {@code 0.5 - 0.5 cos(2 pi i / N)} (torch.hann_window's default). */
        HANN,
        /** Symmetric Hann {@code 0.5 - 0.5 cos(2 pi i / (N - 1))}. */
        HANNING,
        /** Symmetric Hamming {@code 0.54 - 0.46 cos(2 pi i / (N - 1))}. */
        HAMMING,
        /** {@code sin(pi i / (N - 1))}. */
        SINE,
        /** All ones. */
        RECTANGULAR,
        /** Blackman with Kaldi's coefficient 0.42. */
        BLACKMAN;

        /** The lower-case name Kaldi and sherpa-onnx metadata use ({@code povey}, {@code hann}, ...). */
        public String kaldiName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The window named {@code name} as Kaldi spells it (lower case), or null when Kaldi has no such window. */
        public static WindowType fromKaldiName(String name) {
            for (WindowType type : values()) {
                if (type.kaldiName().equals(name)) {
                    return type;
                }
            }
            return null;
        }
    }

    /** How the mel filters are laid out. */
    public enum MelScale {
        /**
         * Kaldi: HTK mel scale {@code 1127 ln(1 + f / 700)}, triangles linear in mel, peak 1, evaluated at FFT bins
         * 0 .. N/2 - 1 (the Nyquist bin is never used).
         */
        KALDI,
        /**
         * librosa's {@code filters.mel(htk=False, norm="slaney")}: Slaney mel scale (linear below 1 kHz,
         * logarithmic above), triangles linear in Hz, each scaled to unit area {@code 2 / (right - left)}, evaluated
         * at FFT bins 0 .. N/2 inclusive.
         */
        SLANEY
    }

    public KaldiFbankOptions {
        Objects.requireNonNull(windowType, "windowType");
        Objects.requireNonNull(melScale, "melScale");
        if (sampleRateHz <= 0) {
            throw new IllegalArgumentException("sampleRateHz must be positive, got " + sampleRateHz);
        }
        if (!(frameLengthMs > 0) || !(frameShiftMs > 0) || Float.isInfinite(frameLengthMs)
                || Float.isInfinite(frameShiftMs)) {
            throw new IllegalArgumentException("frameLengthMs and frameShiftMs must be positive, got "
                    + frameLengthMs + " and " + frameShiftMs);
        }
        if (melBinCount < 3) {
            throw new IllegalArgumentException("melBinCount must be at least 3, got " + melBinCount);
        }
        if (!(preemphasisCoefficient >= 0 && preemphasisCoefficient <= 1)) {
            throw new IllegalArgumentException("preemphasisCoefficient must be in [0, 1], got "
                    + preemphasisCoefficient);
        }
        int windowSize = samples(sampleRateHz, frameLengthMs);
        int shift = samples(sampleRateHz, frameShiftMs);
        if (windowSize < 2 || shift < 1) {
            throw new IllegalArgumentException("frames of " + frameLengthMs + " ms every " + frameShiftMs
                    + " ms at " + sampleRateHz + " Hz are " + windowSize + " samples every " + shift
                    + "; at least 2 samples every 1 are needed");
        }
        float nyquistHz = 0.5f * sampleRateHz;
        float highHz = highFrequencyHz > 0 ? highFrequencyHz : nyquistHz + highFrequencyHz;
        if (!(lowFrequencyHz >= 0) || lowFrequencyHz >= nyquistHz || !(highHz > 0) || highHz > nyquistHz
                || highHz <= lowFrequencyHz) {
            throw new IllegalArgumentException("mel range " + lowFrequencyHz + " Hz to " + highHz
                    + " Hz (highFrequencyHz " + highFrequencyHz + ") does not fit in 0 to the Nyquist frequency "
                    + nyquistHz + " Hz");
        }
    }

    /** Frame length in samples. */
    public int windowSizeSamples() {
        return samples(sampleRateHz, frameLengthMs);
    }

    /** Frame shift in samples. */
    public int windowShiftSamples() {
        return samples(sampleRateHz, frameShiftMs);
    }

    /** FFT length: the frame length rounded up to a power of two (512 for 400 samples). */
    public int fftSize() {
        return Integer.highestOneBit(windowSizeSamples() - 1) << 1;
    }

    /** The upper mel edge in Hz after resolving a value of 0 or below against the Nyquist frequency. */
    public float resolvedHighFrequencyHz() {
        return highFrequencyHz > 0 ? highFrequencyHz : 0.5f * sampleRateHz + highFrequencyHz;
    }

    /** Kaldi computes sizes in float32: {@code int(float(rate) * 0.001f * ms)}, which truncates. */
    private static int samples(int sampleRateHz, float ms) {
        return (int) ((float) sampleRateHz * 0.001f * ms);
    }
}
