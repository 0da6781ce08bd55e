package dev.speakerembedding.embedding;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.audio.AudioNormalizer;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.audio.Resampler;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.features.Fbank;
import dev.speakerembedding.features.FbankOptions;
import dev.speakerembedding.features.SentenceNormalization;
import dev.speakerembedding.model.speechbrain.EcapaModel;

/**
 * speechbrain's {@code EncoderClassifier.load_audio} followed by {@code encode_batch} for one file: decode as
 * torchaudio does, resample each channel to 16 kHz and average, Fbank(80), sentence mean normalisation, ECAPA-TDNN.
 * Thread-safe: the model's session is shared, everything else is per call.
 */
public final class SpeakerEmbedder implements AutoCloseable {

    /** ECAPA's first convolution reflects 4 frames on each side, which needs at least 5 frames (640 samples). */
    public static final int MIN_SAMPLES_16K = 640;

    private final EcapaModel model;
    private final Fbank fbank;

    /** Takes ownership of {@code model}: closing the embedder closes it. */
    public SpeakerEmbedder(EcapaModel model) {
        this.model = model;
        FbankOptions defaults = FbankOptions.speechbrainDefaults();
        this.fbank = new Fbank(new FbankOptions(defaults.sampleRateHz(), defaults.fftSize(), defaults.hopLength(),
                model.melCount(), defaults.topDb(), defaults.minPower()));
    }

    public EcapaModel model() {
        return model;
    }

    public int dimension() {
        return model.embeddingDimension();
    }

    /** Decodes {@code wav}, checks it against {@code limits} and embeds it. */
    public EmbeddingResult embed(byte[] wav, EmbeddingOptions options, AudioLimits limits)
            throws AudioFormatException, AudioRejectedException {
        long t0 = System.nanoTime();
        DecodedAudio audio = WavDecoder.decode(wav, limits.maxSamplesPerChannel());
        long t1 = System.nanoTime();
        checkDuration(audio, limits);
        checkResamplable(audio.sampleRateHz());
        float[] mono16k = AudioNormalizer.toMono16k(audio);
        long t2 = System.nanoTime();
        return embedSamples(audio, mono16k, options, t1 - t0, t2 - t1);
    }

    /**
     * {@link #embed} plus the speech {@code voiceActivity} measures on the 16 kHz mono waveform the model sees (an
     * enrollment's speech duration), decoding and resampling once. The embedding is the one {@link #embed} returns.
     */
    public MeasuredEmbedding embedMeasured(byte[] wav, EmbeddingOptions options, AudioLimits limits,
                                           EnergyVoiceActivity voiceActivity)
            throws AudioFormatException, AudioRejectedException {
        long t0 = System.nanoTime();
        DecodedAudio audio = WavDecoder.decode(wav, limits.maxSamplesPerChannel());
        long t1 = System.nanoTime();
        checkDuration(audio, limits);
        checkResamplable(audio.sampleRateHz());
        float[] mono16k = AudioNormalizer.toMono16k(audio);
        long t2 = System.nanoTime();
        EmbeddingResult result = embedSamples(audio, mono16k, options, t1 - t0, t2 - t1);
        return new MeasuredEmbedding(result, voiceActivity.measure(mono16k, AudioNormalizer.TARGET_SAMPLE_RATE_HZ));
    }

    /** Embeds audio already decoded (the benchmark and tests time the stages separately). */
    public EmbeddingResult embedSamples(DecodedAudio audio, float[] mono16k, EmbeddingOptions options,
                                        long decodeNanos, long resampleNanos) throws AudioRejectedException {
        if (mono16k.length < MIN_SAMPLES_16K) {
            throw new AudioRejectedException(AudioRejectedException.Reason.TOO_SHORT, String.format(
                    "audio is %.4f s long (%d samples at 16 kHz); at least %d samples (%.3f s) are needed",
                    audio.durationSeconds(), mono16k.length, MIN_SAMPLES_16K, MIN_SAMPLES_16K / 16000.0));
        }
        if (isDigitalSilence(mono16k)) {
            throw new AudioRejectedException(AudioRejectedException.Reason.SILENCE,
                    "every sample is zero (digital silence): no speaker can be embedded");
        }
        long t2 = System.nanoTime();
        int frames = fbank.frameCount(mono16k.length);
        float[] feats = SentenceNormalization.subtractMean(fbank.computeDb(mono16k), frames, model.melCount());
        long t3 = System.nanoTime();
        float[] embedding = model.embed(feats, frames);
        long t4 = System.nanoTime();
        if (options.normalize()) {
            embedding = model.applyMeanVarNorm(embedding);
        }
        if (options.unitLength()) {
            embedding = unitLength(embedding);
        }
        return new EmbeddingResult(embedding, audio.durationSeconds(), audio.sampleRateHz(), audio.channelCount(),
                new StageTimings(decodeNanos, resampleNanos, t3 - t2, t4 - t3));
    }

    private static void checkDuration(DecodedAudio audio, AudioLimits limits) throws AudioRejectedException {
        double seconds = audio.durationSeconds();
        if (seconds > limits.maxSeconds()) {
            throw new AudioRejectedException(AudioRejectedException.Reason.TOO_LONG, String.format(
                    "audio is %.2f s long; the limit is %.2f s", seconds, limits.maxSeconds()));
        }
        if (seconds < limits.minSeconds()) {
            throw new AudioRejectedException(AudioRejectedException.Reason.TOO_SHORT, String.format(
                    "audio is %.3f s long; the minimum is %.3f s", seconds, limits.minSeconds()));
        }
    }

    private static void checkResamplable(int sampleRateHz) throws AudioFormatException {
        long taps = Resampler.kernelTaps(sampleRateHz, AudioNormalizer.TARGET_SAMPLE_RATE_HZ);
        if (taps > Resampler.MAX_KERNEL_TAPS) {
            throw new AudioFormatException(AudioFormatException.Reason.UNSUPPORTED_ENCODING, String.format(
                    "sample rate %d Hz shares too few factors with 16000 Hz: resampling would need a %d-tap filter; "
                            + "use a common rate such as 8000, 11025, 16000, 22050, 32000, 44100 or 48000 Hz",
                    sampleRateHz, taps));
        }
    }

    static boolean isDigitalSilence(float[] samples) {
        for (float s : samples) {
            if (s != 0f) {
                return false;
            }
        }
        return true;
    }

    /** L2 normalisation in double precision; a zero vector stays zero rather than becoming NaN. */
    public static float[] unitLength(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        float[] out = new float[v.length];
        if (norm == 0) {
            return out;
        }
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
