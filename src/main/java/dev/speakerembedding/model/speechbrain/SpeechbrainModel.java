package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.audio.AudioNormalizer;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.Resampler;
import dev.speakerembedding.features.Fbank;
import dev.speakerembedding.features.FbankOptions;
import dev.speakerembedding.features.SentenceNormalization;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.FeatureMatrix;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.SourceFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * speechbrain's {@code EncoderClassifier.load_audio} followed by {@code encode_batch}: decode as torchaudio does,
 * resample each channel to 16 kHz and average, Fbank(n_mels), sentence mean normalisation, ECAPA-TDNN.
 */
public final class SpeechbrainModel implements SpeakerModel {

    /** ECAPA's first convolution reflects 4 frames on each side, which needs at least 5 frames (640 samples). */
    public static final int MIN_SAMPLES_16K = 640;

    private final EcapaModel model;
    private final Fbank fbank;

    /** Takes ownership of {@code model}: closing this closes it. */
    public SpeechbrainModel(EcapaModel model) {
        this.model = model;
        FbankOptions defaults = FbankOptions.speechbrainDefaults();
        this.fbank = new Fbank(new FbankOptions(defaults.sampleRateHz(), defaults.fftSize(), defaults.hopLength(),
                model.melCount(), defaults.topDb(), defaults.minPower()));
    }

    public EcapaModel ecapa() {
        return model;
    }

    @Override
    public String format() {
        return SpeechbrainEcapa.FORMAT.name();
    }

    @Override
    public String family() {
        return SpeechbrainEcapa.FORMAT.name();
    }

    @Override
    public ModelPrecision precision() {
        return model.precision();
    }

    @Override
    public int dimension() {
        return model.embeddingDimension();
    }

    @Override
    public int sampleRateHz() {
        return AudioNormalizer.TARGET_SAMPLE_RATE_HZ;
    }

    @Override
    public int monoRateHz(int inputRateHz) {
        return AudioNormalizer.TARGET_SAMPLE_RATE_HZ;
    }

    @Override
    public Optional<String> rateProblem(int inputRateHz) {
        long taps = Resampler.kernelTaps(inputRateHz, AudioNormalizer.TARGET_SAMPLE_RATE_HZ);
        if (taps <= Resampler.MAX_KERNEL_TAPS) {
            return Optional.empty();
        }
        return Optional.of(String.format("sample rate %d Hz shares too few factors with 16000 Hz: resampling would "
                + "need a %d-tap filter; use a common rate such as 8000, 11025, 16000, 22050, 32000, 44100 or "
                + "48000 Hz", inputRateHz, taps));
    }

    @Override
    public float[] mono(float[][] channels, int sampleRateHz) {
        return AudioNormalizer.toMono16k(new DecodedAudio(sampleRateHz, channels.length, channels, "float32"));
    }

    @Override
    public long minimumSamples(int monoRateHz) {
        return MIN_SAMPLES_16K;
    }

    @Override
    public FeatureMatrix features(float[] mono16k, int monoRateHz) {
        if (mono16k.length < MIN_SAMPLES_16K) {
            throw new IllegalArgumentException(mono16k.length + " samples; at least " + MIN_SAMPLES_16K
                    + " are needed");
        }
        int frames = fbank.frameCount(mono16k.length);
        return new FeatureMatrix(SentenceNormalization.subtractMean(fbank.computeDb(mono16k), frames,
                model.melCount()), frames, model.melCount());
    }

    @Override
    public float[] embed(FeatureMatrix features) {
        return model.embed(features.rowMajor(), features.frames());
    }

    @Override
    public boolean hasEmbeddingNormalization() {
        return true;
    }

    @Override
    public float[] normalizeEmbedding(float[] embedding) {
        return model.applyMeanVarNorm(embedding);
    }

    @Override
    public List<SourceFile> sourceFiles() {
        return model.sourceFiles();
    }

    @Override
    public Optional<String> identityFileSha256() {
        return Optional.empty();
    }

    @Override
    public Optional<ConversionInfo> conversion() {
        return Optional.of(model.conversion());
    }

    @Override
    public Map<String, String> metadata() {
        EcapaHyperparams p = model.hyperparams();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("n_mels", Integer.toString(p.nMels()));
        m.put("lin_neurons", Integer.toString(p.linNeurons()));
        return m;
    }

    @Override
    public Map<String, String> frontEnd() {
        FbankOptions o = fbank.options();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("channels", "each channel resampled, then averaged");
        m.put("resampler", "torchaudio sinc_interp_hann");
        m.put("sample_rate_hz", Integer.toString(o.sampleRateHz()));
        m.put("features", "speechbrain Fbank");
        m.put("fft_size", Integer.toString(o.fftSize()));
        m.put("hop_length", Integer.toString(o.hopLength()));
        m.put("mel_bins", Integer.toString(o.melCount()));
        m.put("top_db", Double.toString(o.topDb()));
        m.put("feature_normalization", "sentence mean");
        return m;
    }

    @Override
    public String onnxRuntimeVersion() {
        return model.onnxRuntimeVersion();
    }

    @Override
    public void close() {
        model.close();
    }
}
