package dev.speakerembedding.model.sherpa;

import dev.speakerembedding.audio.KaldiLinearResampler;
import dev.speakerembedding.features.FrameNormalization;
import dev.speakerembedding.features.KaldiFbank;
import dev.speakerembedding.features.KaldiFbankOptions;
import dev.speakerembedding.features.KaldiFbankOptions.MelScale;
import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.sherpa.SherpaMetadata.FeatureNormalization;

/**
 * The features sherpa-onnx 1.13.8 feeds a speaker-embedding model, from mono samples in [-1, 1] at any rate, as its
 * extractor computes them when the whole signal is given to one stream followed by {@code inputFinished()}:
 * <ol>
 *   <li>samples x 32768 (the int16 range) when a WeSpeaker/3D-Speaker model has {@code normalize_samples} 0 (before
 *       resampling, as sherpa-onnx does);</li>
 *   <li>Kaldi's linear resampler to the model's rate when the input's differs, never flushed;</li>
 *   <li>a Kaldi fbank: WeSpeaker/3D-Speaker 80 bins, 25/10 ms, povey window, DC removal, pre-emphasis 0.97,
 *       no snip edges, Kaldi mel 20 Hz to Nyquist - 400 Hz; NeMo {@code feat_dim} bins, its window length, shift and
 *       type, no DC removal, pre-emphasis 0.97 (sherpa-onnx keeps Kaldi's default), snip edges, Slaney mel 0 Hz to
 *       Nyquist - 400 Hz;</li>
 *   <li>the family's feature normalisation (none, global mean, or NeMo's per-feature mean and deviation).</li>
 * </ol>
 * The result is {@code [frames][bins]}; WeSpeaker/3D-Speaker sessions take it as {@code [1, frames, bins]}, NeMo's
 * transposed as {@code [1, bins, frames]} with the frame count as its second (int64) input.
 *
 * <p>Immutable and thread-safe.
 */
public final class SherpaFrontEnd {

    /** sherpa-onnx computes nothing (isReady is false) until at least one frame exists. */
    public static final int MIN_FRAMES = 1;

    /** WeSpeaker models take samples in the int16 range when {@code normalize_samples} is 0. */
    static final float INT16_SCALE = 32768f;

    private final SherpaMetadata metadata;
    private final KaldiFbank fbank;
    private final float sampleScale;

    /**
     * @throws ModelFormatException when the metadata's rate, window and bins give no valid filterbank (a mel
     *                              filter without FFT bins, a frame shorter than 2 samples)
     */
    public SherpaFrontEnd(String fileName, SherpaMetadata metadata) throws ModelFormatException {
        this.metadata = metadata;
        boolean nemo = metadata.family() == SherpaFamily.NEMO;
        this.sampleScale = !nemo && !metadata.normalizeSamples() ? INT16_SCALE : 1f;
        try {
            this.fbank = new KaldiFbank(fbankOptions(metadata));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(fileName + ": the metadata (sample_rate " + metadata.sampleRateHz()
                    + ", " + metadata.featureDim() + " mel bins, " + metadata.windowSizeMs() + " ms frames every "
                    + metadata.windowStrideMs() + " ms) gives no usable filterbank: " + e.getMessage(), e);
        }
    }

    /** The Kaldi fbank options sherpa-onnx sets for the family and metadata (the rest are Kaldi's defaults). */
    public static KaldiFbankOptions fbankOptions(SherpaMetadata metadata) {
        if (metadata.family() == SherpaFamily.NEMO) {
            return new KaldiFbankOptions(metadata.sampleRateHz(), metadata.windowSizeMs(),
                    metadata.windowStrideMs(), metadata.featureDim(), metadata.windowType(), false, 0.97f, true,
                    0f, -400f, MelScale.SLANEY);
        }
        return new KaldiFbankOptions(metadata.sampleRateHz(), SherpaMetadata.GENERAL_WINDOW_SIZE_MS,
                SherpaMetadata.GENERAL_WINDOW_STRIDE_MS, SherpaMetadata.GENERAL_FEATURE_DIM, WindowType.POVEY, true,
                0.97f, false, 20f, -400f, MelScale.KALDI);
    }

    public SherpaMetadata metadata() {
        return metadata;
    }

    public KaldiFbankOptions fbankOptions() {
        return fbank.options();
    }

    /** The factor applied to [-1, 1] samples first: 32768 or 1. */
    public float sampleScale() {
        return sampleScale;
    }

    /** Values per frame. */
    public int featureDim() {
        return fbank.binCount();
    }

    /** Whether input at {@code sampleRateHz} can be resampled (a coprime rate can need too large a filter). */
    public boolean acceptsRate(int sampleRateHz) {
        return sampleRateHz > 0 && (sampleRateHz == metadata.sampleRateHz()
                || KaldiLinearResampler.weightCount(sampleRateHz, metadata.sampleRateHz())
                <= KaldiLinearResampler.MAX_WEIGHTS);
    }

    /** Frames {@link #features} returns for {@code sampleCount} samples at {@code sampleRateHz}. */
    public int frameCount(long sampleCount, int sampleRateHz) {
        long modelSamples = sampleRateHz == metadata.sampleRateHz() ? sampleCount
                : KaldiLinearResampler.forRates(sampleRateHz, metadata.sampleRateHz()).outputCount(sampleCount);
        return fbank.frameCount(modelSamples, true);
    }

    /**
     * The fewest samples at {@code sampleRateHz} that give {@link #MIN_FRAMES} frames: at the model's rate 80
     * (WeSpeaker/3D-Speaker at 16 kHz, half a frame shift) or 400 (NeMo, one 25 ms window); more at other rates,
     * since the resampler's unflushed tail produces nothing.
     */
    public long minimumSampleCount(int sampleRateHz) {
        long low = 0;
        long high = 1;
        while (frameCount(high, sampleRateHz) < MIN_FRAMES) {
            low = high;
            high *= 2;
        }
        while (high - low > 1) {
            long mid = (low + high) >>> 1;
            if (frameCount(mid, sampleRateHz) >= MIN_FRAMES) {
                high = mid;
            } else {
                low = mid;
            }
        }
        return high;
    }

    /**
     * The features for mono {@code samples} in [-1, 1] at {@code sampleRateHz}, {@code [frames][featureDim]}.
     *
     * @throws IllegalArgumentException when the samples give fewer than {@link #MIN_FRAMES} frames (check
     *                                  {@link #frameCount} first) or the rate cannot be resampled
     */
    public float[][] features(float[] samples, int sampleRateHz) {
        float[][] features = rawFeatures(samples, sampleRateHz);
        if (metadata.featureNormalization() == FeatureNormalization.GLOBAL_MEAN) {
            FrameNormalization.subtractMean(features);
        } else if (metadata.featureNormalization() == FeatureNormalization.PER_FEATURE) {
            FrameNormalization.perFeatureMeanAndStd(features);
        }
        return features;
    }

    /** {@link #features} before the feature normalisation: the log-mel filterbank of the scaled, resampled input. */
    public float[][] rawFeatures(float[] samples, int sampleRateHz) {
        if (sampleRateHz <= 0) {
            throw new IllegalArgumentException("sample rate must be positive, got " + sampleRateHz);
        }
        int frames = frameCount(samples.length, sampleRateHz);
        if (frames < MIN_FRAMES) {
            throw new IllegalArgumentException(samples.length + " samples at " + sampleRateHz + " Hz give "
                    + frames + " frames; at least " + minimumSampleCount(sampleRateHz) + " samples are needed");
        }
        float[] x = samples;
        if (sampleScale != 1f) {
            x = new float[samples.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = samples[i] * sampleScale;
            }
        }
        if (sampleRateHz != metadata.sampleRateHz()) {
            x = KaldiLinearResampler.forRates(sampleRateHz, metadata.sampleRateHz()).resample(x);
        }
        return fbank.compute(x, true);
    }
}
