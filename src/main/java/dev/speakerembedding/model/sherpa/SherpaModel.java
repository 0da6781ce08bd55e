package dev.speakerembedding.model.sherpa;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.speakerembedding.audio.ChannelAverage;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.features.KaldiFbankOptions;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.FeatureMatrix;
import dev.speakerembedding.model.GuardedSession;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.OnnxSessions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.SpeakerModel;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A sherpa-onnx speaker-embedding ONNX file (WeSpeaker, 3D-Speaker or NeMo) served as it is, fed as sherpa-onnx
 * 1.13.8 feeds it ({@link SherpaFrontEnd}), except that the channels are averaged where sherpa-onnx keeps the first.
 *
 * <p>Checked at load, unlike sherpa-onnx: the metadata ({@link SherpaMetadata}), the inputs and outputs the family
 * needs (WeSpeaker/3D-Speaker: one float input {@code [N, T, 80]}, the embedding is the first output {@code [N, D]};
 * NeMo: a float input {@code [N, feat_dim, T]} and an int64 length {@code [N]}, the embedding is the second output
 * {@code [N, D]}), and that {@code output_dim} agrees with the output's shape. One session serves all threads.
 */
public final class SherpaModel implements SpeakerModel {

    /** Metadata shown by /v1/model: the file is untrusted, so keys and values are capped. */
    private static final int MAX_SHOWN_KEYS = 40;
    private static final int MAX_SHOWN_CHARS = 200;

    private final SherpaFrontEnd frontEnd;
    private final SourceFile file;
    private final Map<String, String> rawMetadata;
    private final int dimension;
    private final OrtEnvironment environment;
    private final GuardedSession session;
    private final String featureInput;
    private final String lengthInput;
    private final String embeddingOutput;

    private SherpaModel(SherpaFrontEnd frontEnd, SourceFile file, Map<String, String> rawMetadata, int dimension,
                        OrtEnvironment environment, GuardedSession session, String featureInput, String lengthInput,
                        String embeddingOutput) {
        this.frontEnd = frontEnd;
        this.file = file;
        this.rawMetadata = rawMetadata;
        this.dimension = dimension;
        this.environment = environment;
        this.session = session;
        this.featureInput = featureInput;
        this.lengthInput = lengthInput;
        this.embeddingOutput = embeddingOutput;
    }

    /**
     * Opens {@code onnx} and checks it.
     *
     * @param file             its repository name, size and verified sha256
     * @param configuredFamily {@code MODEL_FAMILY}, or null
     * @throws ModelFormatException naming the file, what is wrong and the remedy
     */
    public static SherpaModel load(Path onnx, SourceFile file, SherpaFamily configuredFamily,
                                   ModelRuntimeOptions options) throws ModelFormatException {
        OrtEnvironment environment = OnnxSessions.environment();
        OrtSession session = OnnxSessions.open(environment, onnx, options);
        Map<String, String> custom;
        SherpaFrontEnd frontEnd;
        Signature signature;
        try {
            try {
                custom = new TreeMap<>(session.getMetadata().getCustomMetadata());
            } catch (OrtException e) {
                throw new ModelFormatException(file.name() + ": cannot read the ONNX metadata: " + e.getMessage(), e);
            }
            SherpaMetadata metadata = SherpaMetadata.parse(file.name(), custom, configuredFamily);
            frontEnd = new SherpaFrontEnd(file.name(), metadata);
            signature = signature(session, file.name(), metadata);
        } catch (ModelFormatException | RuntimeException e) {
            OnnxSessions.closeQuietly(session, e);
            throw e;
        }
        return new SherpaModel(frontEnd, file, shown(custom), signature.dimension(), environment,
                OnnxSessions.guard(environment, onnx, options, session), signature.featureInput(),
                signature.lengthInput(), signature.embeddingOutput());
    }

    private record Signature(String featureInput, String lengthInput, String embeddingOutput, int dimension) {
    }

    private static Signature signature(OrtSession session, String fileName, SherpaMetadata metadata)
            throws ModelFormatException {
        List<Map.Entry<String, NodeInfo>> inputs;
        List<Map.Entry<String, NodeInfo>> outputs;
        try {
            inputs = new ArrayList<>(session.getInputInfo().entrySet());
            outputs = new ArrayList<>(session.getOutputInfo().entrySet());
        } catch (OrtException e) {
            throw new ModelFormatException(fileName + ": cannot inspect the session: " + e.getMessage(), e);
        }
        boolean nemo = metadata.family() == SherpaFamily.NEMO;
        String family = metadata.family().metadataName();
        String expected = nemo
                ? "a NeMo model takes a float input [N, " + metadata.featureDim() + ", T] and an int64 length [N] and"
                + " gives its embedding [N, D] as its second output"
                : "a " + family + " model takes one float input [N, T, " + metadata.featureDim() + "] and gives its"
                + " embedding [N, D] as its first output";
        String remedy = "; is MODEL_FILE a " + family + " speaker-embedding model"
                + (metadata.defaultedKeys().isEmpty() ? "" : " (MODEL_FAMILY)") + "?";
        int wantInputs = nemo ? 2 : 1;
        if (inputs.size() != wantInputs) {
            throw new ModelFormatException(fileName + ": has " + inputs.size() + " inputs " + names(inputs) + "; "
                    + expected + remedy);
        }
        TensorInfo features = tensor(inputs.get(0), fileName, expected, remedy);
        long[] shape = features.getShape();
        int binsAxis = nemo ? 1 : 2;
        if (features.type != OnnxJavaType.FLOAT || shape.length != 3 || !fits(shape[0], 1)
                || !fits(shape[binsAxis], metadata.featureDim())) {
            throw new ModelFormatException(fileName + ": input '" + inputs.get(0).getKey() + "' is "
                    + describe(features) + "; " + expected + remedy);
        }
        String lengthInput = null;
        if (nemo) {
            TensorInfo length = tensor(inputs.get(1), fileName, expected, remedy);
            if (length.type != OnnxJavaType.INT64 || length.getShape().length != 1) {
                throw new ModelFormatException(fileName + ": input '" + inputs.get(1).getKey() + "' is "
                        + describe(length) + "; " + expected + remedy);
            }
            lengthInput = inputs.get(1).getKey();
        }
        int outputIndex = nemo ? 1 : 0;
        if (outputs.size() <= outputIndex) {
            throw new ModelFormatException(fileName + ": has " + outputs.size() + " outputs " + names(outputs)
                    + "; " + expected + remedy);
        }
        Map.Entry<String, NodeInfo> output = outputs.get(outputIndex);
        TensorInfo embedding = tensor(output, fileName, expected, remedy);
        long[] outShape = embedding.getShape();
        if (embedding.type != OnnxJavaType.FLOAT || outShape.length != 2 || !fits(outShape[0], 1)) {
            throw new ModelFormatException(fileName + ": output '" + output.getKey() + "' is " + describe(embedding)
                    + "; " + expected + remedy);
        }
        long graphDim = outShape[1];
        int dimension;
        if (metadata.declaredOutputDim().isPresent()) {
            dimension = metadata.declaredOutputDim().getAsInt();
            if (graphDim > 0 && graphDim != dimension) {
                throw new ModelFormatException(fileName + ": metadata 'output_dim' is " + dimension + " but output '"
                        + output.getKey() + "' is " + describe(embedding) + "; correct output_dim to " + graphDim);
            }
        } else if (graphDim > 0 && graphDim <= Integer.MAX_VALUE) {
            dimension = (int) graphDim;
        } else {
            throw new ModelFormatException(fileName + ": output '" + output.getKey() + "' is " + describe(embedding)
                    + ", whose size the graph does not fix, and the file declares no output_dim; add 'output_dim'"
                    + " to the model's metadata");
        }
        return new Signature(inputs.get(0).getKey(), lengthInput, output.getKey(), dimension);
    }

    private static boolean fits(long graphDim, long wanted) {
        return graphDim < 0 || graphDim == wanted;
    }

    private static TensorInfo tensor(Map.Entry<String, NodeInfo> node, String fileName, String expected,
                                     String remedy) throws ModelFormatException {
        if (!(node.getValue().getInfo() instanceof TensorInfo info)) {
            throw new ModelFormatException(fileName + ": '" + node.getKey() + "' is not a tensor; " + expected
                    + remedy);
        }
        return info;
    }

    private static String describe(TensorInfo info) {
        return info.type.toString().toLowerCase(Locale.ROOT) + " " + Arrays.toString(info.getShape())
                .replace("-1", "?");
    }

    private static String names(List<Map.Entry<String, NodeInfo>> nodes) {
        return nodes.stream().map(Map.Entry::getKey).toList().toString();
    }

    private static Map<String, String> shown(Map<String, String> custom) {
        Map<String, String> shown = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : custom.entrySet()) {
            if (shown.size() == MAX_SHOWN_KEYS) {
                break;
            }
            shown.put(cut(e.getKey()), cut(e.getValue()));
        }
        return Map.copyOf(shown);
    }

    private static String cut(String s) {
        return s.length() > MAX_SHOWN_CHARS ? s.substring(0, MAX_SHOWN_CHARS) + "..." : s;
    }

    @Override
    public String format() {
        return SherpaOnnxFamily.FORMAT_NAME;
    }

    @Override
    public String family() {
        return frontEnd.metadata().family().metadataName();
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int sampleRateHz() {
        return frontEnd.metadata().sampleRateHz();
    }

    @Override
    public int monoRateHz(int inputRateHz) {
        return inputRateHz;
    }

    @Override
    public Optional<String> rateProblem(int inputRateHz) {
        if (frontEnd.acceptsRate(inputRateHz)) {
            return Optional.empty();
        }
        return Optional.of(String.format("sample rate %d Hz shares too few factors with the model's %d Hz: "
                + "resampling would need too large a filter; use a common rate such as 8000, 16000, 22050, 44100 or"
                + " 48000 Hz", inputRateHz, sampleRateHz()));
    }

    @Override
    public float[] mono(float[][] channels, int sampleRateHz) {
        return ChannelAverage.mono(new DecodedAudio(sampleRateHz, channels.length, channels, "float32"));
    }

    @Override
    public long minimumSamples(int monoRateHz) {
        return frontEnd.minimumSampleCount(monoRateHz);
    }

    @Override
    public FeatureMatrix features(float[] mono, int monoRateHz) {
        return FeatureMatrix.of(frontEnd.features(mono, monoRateHz), frontEnd.featureDim());
    }

    @Override
    public float[] embed(FeatureMatrix features) {
        if (features.bins() != frontEnd.featureDim() || features.frames() < SherpaFrontEnd.MIN_FRAMES) {
            throw new IllegalArgumentException("need at least " + SherpaFrontEnd.MIN_FRAMES + " frames of "
                    + frontEnd.featureDim() + " bins, got " + features.frames() + " x " + features.bins());
        }
        boolean nemo = lengthInput != null;
        long[] shape = nemo ? new long[] {1, features.bins(), features.frames()}
                : new long[] {1, features.frames(), features.bins()};
        float[] values = nemo ? features.transposed() : features.rowMajor();
        try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(values), shape);
             OnnxTensor length = nemo ? OnnxTensor.createTensor(environment,
                     LongBuffer.wrap(new long[] {features.frames()}), new long[] {1}) : null) {
            Map<String, OnnxTensor> feed = new HashMap<>();
            feed.put(featureInput, input);
            if (nemo) {
                feed.put(lengthInput, length);
            }
            return session.use(s -> {
                try (OrtSession.Result result = s.run(feed, Set.of(embeddingOutput))) {
                    Optional<OnnxValue> output = result.get(embeddingOutput);
                    if (output.isEmpty() || !(output.get() instanceof OnnxTensor tensor)) {
                        throw new IllegalStateException("session returned no " + embeddingOutput + " tensor");
                    }
                    FloatBuffer buffer = tensor.getFloatBuffer();
                    if (buffer.remaining() != dimension) {
                        throw new IllegalStateException("output '" + embeddingOutput + "' has " + buffer.remaining()
                                + " values for one utterance; the model's dimension is " + dimension);
                    }
                    float[] embedding = new float[dimension];
                    buffer.get(embedding);
                    return embedding;
                }
            });
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + features.frames() + " frames: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasEmbeddingNormalization() {
        return false;
    }

    @Override
    public float[] normalizeEmbedding(float[] embedding) {
        throw new UnsupportedOperationException("sherpa-onnx models have no embedding normalisation");
    }

    @Override
    public List<SourceFile> sourceFiles() {
        return List.of(file);
    }

    @Override
    public Optional<String> identityFileSha256() {
        return Optional.of(file.sha256());
    }

    @Override
    public Optional<ConversionInfo> conversion() {
        return Optional.empty();
    }

    @Override
    public Map<String, String> metadata() {
        return new TreeMap<>(rawMetadata);
    }

    @Override
    public Map<String, String> frontEnd() {
        SherpaMetadata m = frontEnd.metadata();
        KaldiFbankOptions o = frontEnd.fbankOptions();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("reference", "sherpa-onnx 1.13.8");
        f.put("channels", "averaged (sherpa-onnx keeps the first)");
        f.put("sample_scale", Float.toString(frontEnd.sampleScale()));
        f.put("resampler", "Kaldi LinearResample, 6 zeros, tail not flushed");
        f.put("sample_rate_hz", Integer.toString(o.sampleRateHz()));
        f.put("features", "Kaldi fbank");
        f.put("frame_length_ms", Float.toString(o.frameLengthMs()));
        f.put("frame_shift_ms", Float.toString(o.frameShiftMs()));
        f.put("mel_bins", Integer.toString(o.melBinCount()));
        f.put("window", o.windowType().kaldiName());
        f.put("remove_dc_offset", Boolean.toString(o.removeDcOffset()));
        f.put("preemphasis", Float.toString(o.preemphasisCoefficient()));
        f.put("snip_edges", Boolean.toString(o.snipEdges()));
        f.put("low_frequency_hz", Float.toString(o.lowFrequencyHz()));
        f.put("high_frequency_hz", Float.toString(o.highFrequencyHz()));
        f.put("mel_scale", o.melScale().name().toLowerCase(Locale.ROOT));
        f.put("dither", "0");
        f.put("feature_normalization", m.featureNormalization().name().toLowerCase(Locale.ROOT));
        if (!m.defaultedKeys().isEmpty()) {
            f.put("model_family_defaults", String.join(",", m.defaultedKeys()));
        }
        return f;
    }

    @Override
    public String onnxRuntimeVersion() {
        return environment.getVersion();
    }

    @Override
    public void close() {
        session.close();
    }
}
