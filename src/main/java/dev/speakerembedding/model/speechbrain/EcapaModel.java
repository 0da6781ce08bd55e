package dev.speakerembedding.model.speechbrain;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ConvertedModelStore;
import dev.speakerembedding.model.GuardedSession;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.OnnxSessions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.onnx.OnnxWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A speechbrain ECAPA-TDNN speaker-embedding model (its files: {@link SpeechbrainEcapa}) running on ONNX Runtime.
 * The checkpoint is converted to ONNX once and cached by its sha256 (and, for int8, beside the float32 graph under
 * a key of its own); one session serves all threads.
 */
public final class EcapaModel implements AutoCloseable {

    /** Bump when the converter's output changes, so cached conversions of older versions are not reused. */
    public static final int CONVERTER_VERSION = 2;

    private final EcapaHyperparams params;
    private final EmbeddingNormalization normalization;
    private final ModelPrecision precision;
    private final ConversionInfo conversion;
    private final List<SourceFile> sourceFiles;
    private final OrtEnvironment environment;
    private final GuardedSession session;

    private EcapaModel(EcapaHyperparams params, EmbeddingNormalization normalization, ModelPrecision precision,
                       ConversionInfo conversion, List<SourceFile> sourceFiles, OrtEnvironment environment,
                       GuardedSession session) {
        this.params = params;
        this.normalization = normalization;
        this.precision = precision;
        this.conversion = conversion;
        this.sourceFiles = sourceFiles;
        this.environment = environment;
        this.session = session;
    }

    /**
     * Loads the model in {@code snapshotDir}, converting the checkpoint into {@code convertedDir} unless a
     * complete conversion is already there. The model's files are hashed here to describe them.
     */
    public static EcapaModel load(Path snapshotDir, Path convertedDir, ModelRuntimeOptions options)
            throws ModelFormatException {
        return load(snapshotDir, convertedDir, options, readSourceFiles(snapshotDir));
    }

    /** As {@link #load(Path, Path, ModelRuntimeOptions)}, in {@code precision}. */
    public static EcapaModel load(Path snapshotDir, Path convertedDir, ModelRuntimeOptions options,
                                  ModelPrecision precision) throws ModelFormatException {
        return load(snapshotDir, convertedDir, options, readSourceFiles(snapshotDir), precision);
    }

    /**
     * As {@link #load(Path, Path, ModelRuntimeOptions)}, for a caller that has just verified the files and learnt
     * their sizes and sha256 (the model cache checks every blob against its name before a load): the model reports
     * them as its {@link #sourceFiles()}, and the conversion is keyed by the checkpoint's sha256 without hashing the
     * checkpoint a second time.
     *
     * @param sourceFiles the files of {@code snapshotDir} with their verified sizes and sha256; when the checkpoint
     *                    is not among them, it is hashed
     */
    public static EcapaModel load(Path snapshotDir, Path convertedDir, ModelRuntimeOptions options,
                                  List<SourceFile> sourceFiles) throws ModelFormatException {
        return load(snapshotDir, convertedDir, options, sourceFiles, ModelPrecision.FLOAT32);
    }

    /** As {@link #load(Path, Path, ModelRuntimeOptions, List)}, the graph converted in {@code precision}. */
    public static EcapaModel load(Path snapshotDir, Path convertedDir, ModelRuntimeOptions options,
                                  List<SourceFile> sourceFiles, ModelPrecision precision) throws ModelFormatException {
        EcapaHyperparams params = EcapaHyperparams.read(snapshotDir.resolve(SpeechbrainEcapa.HYPERPARAMS_FILE));
        EmbeddingNormalization normalization = EmbeddingNormalization.read(
                snapshotDir.resolve(SpeechbrainEcapa.NORMALIZATION_FILE), params.linNeurons());
        String checkpointSha256 = sourceFiles.stream()
                .filter(file -> file.name().equals(SpeechbrainEcapa.CHECKPOINT_FILE))
                .map(SourceFile::sha256).findFirst().orElse(null);
        ConversionInfo conversion = convert(snapshotDir, convertedDir, params, checkpointSha256, precision);
        OrtEnvironment environment = OnnxSessions.environment();
        OrtSession session = OnnxSessions.open(environment, conversion.onnxPath(), options);
        try {
            checkSignature(session, params, conversion.onnxPath());
        } catch (ModelFormatException e) {
            OnnxSessions.closeQuietly(session, e);
            throw e;
        }
        return new EcapaModel(params, normalization, precision, conversion, List.copyOf(sourceFiles), environment,
                OnnxSessions.guard(environment, conversion.onnxPath(), options, session));
    }

    /** Converts (or finds the cached conversion of) the checkpoint without opening a session. */
    public static ConversionInfo convert(Path snapshotDir, Path convertedDir) throws ModelFormatException {
        return convert(snapshotDir, convertedDir, ModelPrecision.FLOAT32);
    }

    /** As {@link #convert(Path, Path)}, the graph in {@code precision}. */
    public static ConversionInfo convert(Path snapshotDir, Path convertedDir, ModelPrecision precision)
            throws ModelFormatException {
        return convert(snapshotDir, convertedDir,
                EcapaHyperparams.read(snapshotDir.resolve(SpeechbrainEcapa.HYPERPARAMS_FILE)), null, precision);
    }

    private static ConversionInfo convert(Path snapshotDir, Path convertedDir, EcapaHyperparams params,
                                          String verifiedCheckpointSha256, ModelPrecision precision)
            throws ModelFormatException {
        Path checkpoint = snapshotDir.resolve(SpeechbrainEcapa.CHECKPOINT_FILE);
        String checkpointSha256 = verifiedCheckpointSha256 != null ? verifiedCheckpointSha256
                : checkpointSha256(checkpoint);
        Path entryDir = convertedDir.resolve(entryName(checkpointSha256, precision));
        // The float32 description is the one entries had before int8 existed, so those entries are reused.
        String description = "converter " + CONVERTER_VERSION + ", "
                + (precision == ModelPrecision.FLOAT32 ? "" : precision.configValue() + ", ") + params;
        ConvertedModelStore.Entry entry = ConvertedModelStore.obtain(entryDir, description, out -> {
            EcapaWeights weights = EcapaWeights.read(checkpoint, params);
            // In a fixed order (Map.of's varies between JVM runs), so the same checkpoint gives the same bytes.
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("checkpoint_sha256", checkpointSha256);
            metadata.put("converter_version", Integer.toString(CONVERTER_VERSION));
            metadata.put("precision", precision.configValue());
            OnnxWriter.write(EcapaOnnxBuilder.build(params, weights, metadata, precision), out);
        });
        return new ConversionInfo(entry.modelFile(), entry.sizeBytes(), checkpointSha256, CONVERTER_VERSION,
                entry.convertedNow(), entry.conversionMillis());
    }

    /**
     * The cache entry of a conversion: {@code <checkpoint sha256>-ecapa-c<version>} for float32 (as before int8
     * existed), with {@code -int8} appended for the int8 graph, which so lives beside it and never replaces it.
     */
    static String entryName(String checkpointSha256, ModelPrecision precision) {
        String name = checkpointSha256 + "-ecapa-c" + CONVERTER_VERSION;
        return precision == ModelPrecision.FLOAT32 ? name : name + "-" + precision.configValue();
    }

    /** The format's files present in {@code snapshotDir}, each read once for its size and sha256. */
    private static List<SourceFile> readSourceFiles(Path snapshotDir) throws ModelFormatException {
        List<SourceFile> files = new ArrayList<>();
        for (String name : SpeechbrainEcapa.FORMAT.allFiles()) {
            Path file = snapshotDir.resolve(name);
            if (Files.isRegularFile(file)) {
                try {
                    files.add(new SourceFile(name, Files.size(file), FileDigests.sha256(file)));
                } catch (IOException e) {
                    throw new ModelFormatException(name + ": cannot read " + file + " (" + e + ")", e);
                }
            }
        }
        return List.copyOf(files);
    }

    private static String checkpointSha256(Path checkpoint) throws ModelFormatException {
        try {
            return FileDigests.sha256(checkpoint);
        } catch (IOException e) {
            throw new ModelFormatException(SpeechbrainEcapa.CHECKPOINT_FILE + ": cannot read " + checkpoint + " (" + e
                    + ")", e);
        }
    }

    public int embeddingDimension() {
        return params.linNeurons();
    }

    public int melCount() {
        return params.nMels();
    }

    /** Fewer frames than this cannot be reflection-padded (speechbrain raises an error there too). */
    public int minimumFrames() {
        return params.minimumFrames();
    }

    /** The precision the graph was converted in. */
    public ModelPrecision precision() {
        return precision;
    }

    public EcapaHyperparams hyperparams() {
        return params;
    }

    /**
     * The raw speechbrain embedding ({@code encode_batch}, normalize=False) of sentence-normalised fbank
     * features, row-major [frames][melCount]. The caller's array is not changed.
     *
     * @throws IllegalArgumentException when the length is not frames * melCount or frames is below
     *                                  {@link #minimumFrames()}
     */
    public float[] embed(float[] featsRowMajor, int frames) {
        if (frames < params.minimumFrames()) {
            throw new IllegalArgumentException("need at least " + params.minimumFrames() + " frames (about "
                    + (params.minimumFrames() - 1) * 10 + " ms of audio), got " + frames);
        }
        if (featsRowMajor.length != (long) frames * params.nMels()) {
            throw new IllegalArgumentException("features have " + featsRowMajor.length + " values, expected "
                    + frames + " frames x " + params.nMels() + " mels");
        }
        long[] shape = {1, frames, params.nMels()};
        try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(featsRowMajor), shape)) {
            return session.use(s -> {
                try (OrtSession.Result result = s.run(Map.of(EcapaOnnxBuilder.INPUT, input))) {
                    Optional<OnnxValue> output = result.get(EcapaOnnxBuilder.OUTPUT);
                    if (output.isEmpty() || !(output.get() instanceof OnnxTensor tensor)) {
                        throw new IllegalStateException("session returned no " + EcapaOnnxBuilder.OUTPUT + " tensor");
                    }
                    FloatBuffer values = tensor.getFloatBuffer();
                    float[] embedding = new float[params.linNeurons()];
                    values.get(embedding);
                    return embedding;
                }
            });
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + frames + " frames: " + e.getMessage(), e);
        }
    }

    /** speechbrain's normalize=True step: (embedding - glob_mean) / glob_std from mean_var_norm_emb.ckpt. */
    public float[] applyMeanVarNorm(float[] embedding) {
        return normalization.apply(embedding);
    }

    public ConversionInfo conversion() {
        return conversion;
    }

    /** The repository files the model was loaded from, with the sizes and sha256 known at load: reads nothing. */
    public List<SourceFile> sourceFiles() {
        return sourceFiles;
    }

    public String onnxRuntimeVersion() {
        return environment.getVersion();
    }

    @Override
    public void close() {
        session.close();
    }

    /** Guards against a cache entry that is complete but not ours (hand-copied, older layout). */
    private static void checkSignature(OrtSession session, EcapaHyperparams params, Path onnx)
            throws ModelFormatException {
        try {
            NodeInfo input = session.getInputInfo().get(EcapaOnnxBuilder.INPUT);
            NodeInfo output = session.getOutputInfo().get(EcapaOnnxBuilder.OUTPUT);
            if (input == null || output == null || !(input.getInfo() instanceof TensorInfo in)
                    || !(output.getInfo() instanceof TensorInfo out)
                    || in.getShape().length != 3 || in.getShape()[2] != params.nMels()
                    || out.getShape().length != 2 || out.getShape()[1] != params.linNeurons()) {
                throw new ModelFormatException(onnx + ": inputs " + session.getInputInfo().keySet() + " / outputs "
                        + session.getOutputInfo().keySet() + " do not match " + params);
            }
        } catch (OrtException e) {
            throw new ModelFormatException(onnx + ": cannot inspect the session: " + e.getMessage(), e);
        }
    }
}
