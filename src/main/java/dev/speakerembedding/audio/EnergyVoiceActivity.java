package dev.speakerembedding.audio;

import java.util.Arrays;
import java.util.Objects;

/**
 * An energy-based estimate of how much of a mono waveform is speech: the measure behind an enrollment's
 * speech duration. It knows no model and runs on the 16 kHz waveform the embedder sees.
 *
 * <p>The rule, with the defaults of {@link Settings#DEFAULT}:
 * <ol>
 *   <li>The waveform is cut into consecutive hops of {@code frameShiftMs} (10 ms); the last one may be shorter.
 *       Every hop is judged by the window of {@code frameLengthMs} (25 ms) centred on it, cut at the ends of
 *       the waveform.</li>
 *   <li>A window's level is {@code 10 log10} of the mean square of its samples after removing their mean, in dB
 *       relative to full scale (a full-scale square wave is 0 dBFS, a full-scale sine -3 dBFS). Removing the mean
 *       makes a DC offset count as silence.</li>
 *   <li>The reference is the level of the loudest {@code referenceLoudestSeconds} (0.1 s: the 10th-loudest
 *       window at a 10 ms hop; the quietest one when there are fewer): loud speech sets it, a click of a few
 *       milliseconds does not.</li>
 *   <li>A hop is speech when its level is at least {@code max(reference - dynamicRangeDb, absoluteFloorDbfs)}:
 *       within 30 dB of the loudest speech (the span between vowels and the weaker consonants of one talker),
 *       and never below -50 dBFS (about 20 dB under quietly recorded speech, well above 16-bit dither and the
 *       hiss of a quiet room at normal gain).</li>
 *   <li>The speech duration is the summed length of the speech hops, so a waveform that is speech throughout
 *       measures exactly its length.</li>
 * </ol>
 *
 * <p>What it cannot do: tell speech from other sound of similar level (music, steady noise above the floor and
 * within the range of the loudest frames counts as speech). For enrollment that errs on the side the total
 * speech requirement tolerates: a recording of only noise well below the speech level, or of silence, measures
 * (near) zero. Thread-safe and allocation-light: one sort of the window levels per call.
 */
public final class EnergyVoiceActivity {

    /**
     * @param frameLengthMs           length of the window that judges each hop
     * @param frameShiftMs            hop between judgements, the resolution of the result
     * @param dynamicRangeDb          how far below the reference a window may be and still be speech
     * @param absoluteFloorDbfs       level below which nothing is speech, however quiet the recording
     * @param referenceLoudestSeconds how much of the loudest audio sets the reference level
     */
    public record Settings(double frameLengthMs, double frameShiftMs, double dynamicRangeDb, double absoluteFloorDbfs,
                           double referenceLoudestSeconds) {

        public static final Settings DEFAULT = new Settings(25, 10, 30, -50, 0.1);

        public Settings {
            if (!(frameShiftMs > 0) || !(frameLengthMs >= frameShiftMs) || Double.isInfinite(frameLengthMs)) {
                throw new IllegalArgumentException("need 0 < frameShiftMs <= frameLengthMs (finite), got "
                        + frameShiftMs + " and " + frameLengthMs);
            }
            if (!(dynamicRangeDb > 0) || Double.isInfinite(dynamicRangeDb)) {
                throw new IllegalArgumentException("dynamicRangeDb must be positive and finite, got " + dynamicRangeDb);
            }
            if (!(absoluteFloorDbfs <= 0)) {
                throw new IllegalArgumentException("absoluteFloorDbfs must be at most 0, got " + absoluteFloorDbfs);
            }
            if (!(referenceLoudestSeconds > 0) || Double.isInfinite(referenceLoudestSeconds)) {
                throw new IllegalArgumentException("referenceLoudestSeconds must be positive and finite, got "
                        + referenceLoudestSeconds);
            }
        }
    }

    private final Settings settings;

    public EnergyVoiceActivity(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Measures the speech in {@code samples} (mono, full scale 1.0; not modified).
     *
     * @throws IllegalArgumentException when a sample is NaN or infinite, or the sample rate is not positive
     */
    public SpeechMeasurement measure(float[] samples, int sampleRateHz) {
        Objects.requireNonNull(samples, "samples");
        if (sampleRateHz <= 0) {
            throw new IllegalArgumentException("sampleRateHz must be positive, got " + sampleRateHz);
        }
        for (int i = 0; i < samples.length; i++) {
            if (!Float.isFinite(samples[i])) {
                throw new IllegalArgumentException("sample " + i + " of " + samples.length + " is not finite");
            }
        }
        int n = samples.length;
        double durationSeconds = (double) n / sampleRateHz;
        if (n == 0) {
            return new SpeechMeasurement(0, 0);
        }
        int hop = Math.max(1, (int) Math.round(settings.frameShiftMs() * sampleRateHz / 1000.0));
        int window = Math.max(hop, (int) Math.round(settings.frameLengthMs() * sampleRateHz / 1000.0));
        int hops = (int) ((n + (long) hop - 1) / hop);
        double[] levelsDbfs = new double[hops];
        for (int t = 0; t < hops; t++) {
            int hopStart = t * hop;
            int centre2 = 2 * hopStart + Math.min(hop, n - hopStart);
            int from = Math.max(0, (centre2 - window) / 2);
            int to = Math.min(n, from + window);
            levelsDbfs[t] = levelDbfs(samples, from, to);
        }
        double thresholdDbfs = Math.max(referenceDbfs(levelsDbfs, hop, sampleRateHz) - settings.dynamicRangeDb(),
                settings.absoluteFloorDbfs());
        long speechSamples = 0;
        for (int t = 0; t < hops; t++) {
            if (levelsDbfs[t] >= thresholdDbfs) {
                speechSamples += Math.min(hop, n - t * hop);
            }
        }
        return new SpeechMeasurement(durationSeconds, (double) speechSamples / sampleRateHz);
    }

    private double referenceDbfs(double[] levelsDbfs, int hop, int sampleRateHz) {
        int loudest = (int) Math.max(1, Math.round(settings.referenceLoudestSeconds() * sampleRateHz / hop));
        double[] sorted = levelsDbfs.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, sorted.length - loudest)];
    }

    /** Mean square after removing the mean, in dB re full scale; -infinity for a constant window. */
    private static double levelDbfs(float[] samples, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += samples[i];
        }
        double mean = sum / (to - from);
        double squares = 0;
        for (int i = from; i < to; i++) {
            double d = samples[i] - mean;
            squares += d * d;
        }
        return 10 * Math.log10(squares / (to - from));
    }
}
