package dev.speakerembedding.embedding;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.model.FeatureMatrix;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.model.speechbrain.SpeechbrainModel;
import java.util.Optional;

/**
 * One file through the served model's whole pipeline: decode, check, the family's mono signal (speechbrain
 * resamples each channel to 16 kHz and averages; sherpa-onnx families average at the file's rate), its features,
 * its session. Thread-safe: the model's session is shared, everything else is per call.
 */
public final class SpeakerEmbedder implements AutoCloseable {

    /** speechbrain ECAPA's minimum (reflection padding of its first convolution). */
    public static final int MIN_SAMPLES_16K = SpeechbrainModel.MIN_SAMPLES_16K;

    private final SpeakerModel model;

    /** Takes ownership of {@code model}: closing the embedder closes it. */
    public SpeakerEmbedder(SpeakerModel model) {
        this.model = model;
    }

    /** A speechbrain ECAPA model (tests and benchmarks). */
    public SpeakerEmbedder(EcapaModel model) {
        this(new SpeechbrainModel(model));
    }

    public SpeakerModel model() {
        return model;
    }

    public int dimension() {
        return model.dimension();
    }

    /** Decodes {@code wav}, checks it against {@code limits} and embeds it. */
    public EmbeddingResult embed(byte[] wav, EmbeddingOptions options, AudioLimits limits)
            throws AudioFormatException, AudioRejectedException {
        long t0 = System.nanoTime();
        DecodedAudio audio = WavDecoder.decode(wav, limits.maxSamplesPerChannel());
        long t1 = System.nanoTime();
        checkDuration(audio, limits);
        checkResamplable(audio.sampleRateHz());
        float[] mono = model.mono(audio.channels(), audio.sampleRateHz());
        long t2 = System.nanoTime();
        return embedSamples(audio, mono, options, t1 - t0, t2 - t1);
    }

    /**
     * {@link #embed} plus the speech {@code voiceActivity} measures on the mono waveform the model's front end takes
     * (an enrollment's speech duration), decoding and resampling once. The embedding is the one {@link #embed}
     * returns.
     */
    public MeasuredEmbedding embedMeasured(byte[] wav, EmbeddingOptions options, AudioLimits limits,
                                           EnergyVoiceActivity voiceActivity)
            throws AudioFormatException, AudioRejectedException {
        long t0 = System.nanoTime();
        DecodedAudio audio = WavDecoder.decode(wav, limits.maxSamplesPerChannel());
        long t1 = System.nanoTime();
        checkDuration(audio, limits);
        checkResamplable(audio.sampleRateHz());
        float[] mono = model.mono(audio.channels(), audio.sampleRateHz());
        long t2 = System.nanoTime();
        EmbeddingResult result = embedSamples(audio, mono, options, t1 - t0, t2 - t1);
        return new MeasuredEmbedding(result, voiceActivity.measure(mono, model.monoRateHz(audio.sampleRateHz())));
    }

    /**
     * Embeds audio already decoded (the benchmark and tests time the stages separately).
     *
     * @param mono the model's {@link SpeakerModel#mono mono signal} of {@code audio}
     */
    public EmbeddingResult embedSamples(DecodedAudio audio, float[] mono, EmbeddingOptions options,
                                        long decodeNanos, long resampleNanos) throws AudioRejectedException {
        int monoRateHz = model.monoRateHz(audio.sampleRateHz());
        long minimum = model.minimumSamples(monoRateHz);
        if (mono.length < minimum) {
            throw new AudioRejectedException(AudioRejectedException.Reason.TOO_SHORT, String.format(
                    "audio is %.4f s long (%d samples at %d Hz); at least %d samples (%.3f s) are needed",
                    audio.durationSeconds(), mono.length, monoRateHz, minimum, minimum / (double) monoRateHz));
        }
        if (isDigitalSilence(mono)) {
            throw new AudioRejectedException(AudioRejectedException.Reason.SILENCE,
                    "every sample is zero (digital silence): no speaker can be embedded");
        }
        if (options.normalize() && !model.hasEmbeddingNormalization()) {
            throw new IllegalArgumentException("normalize=true: the " + model.family() + " model has no embedding "
                    + "normalisation");
        }
        long t2 = System.nanoTime();
        FeatureMatrix feats = model.features(mono, monoRateHz);
        long t3 = System.nanoTime();
        float[] embedding = model.embed(feats);
        long t4 = System.nanoTime();
        if (options.normalize()) {
            embedding = model.normalizeEmbedding(embedding);
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

    private void checkResamplable(int sampleRateHz) throws AudioFormatException {
        Optional<String> problem = model.rateProblem(sampleRateHz);
        if (problem.isPresent()) {
            throw new AudioFormatException(AudioFormatException.Reason.UNSUPPORTED_ENCODING, problem.get());
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
