package dev.speakerembedding.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded speaker-embedding model of some family, with the front end its family feeds it: from the decoded
 * channels to the mono signal, from the mono signal to features, from features to the raw embedding. One instance
 * serves all threads; closing it releases the ONNX Runtime session.
 *
 * <p>The decoded audio arrives as plain arrays (this package knows no audio class): {@code channels[c][i]} in
 * [-1, 1] at {@code sampleRateHz}.
 */
public interface SpeakerModel extends AutoCloseable {

    /** The format of the files: speechbrain-ecapa (a converted checkpoint) or sherpa-onnx (an ONNX file as it is). */
    String format();

    /** The family, as /v1/model and the model identity name it: speechbrain-ecapa, wespeaker, 3d-speaker, nemo. */
    String family();

    /**
     * The precision the model runs in: {@link ModelPrecision#INT8} only for a speechbrain checkpoint converted with
     * MODEL_PRECISION=int8; ONNX files served as published are float32.
     */
    default ModelPrecision precision() {
        return ModelPrecision.FLOAT32;
    }

    /** Values per embedding. */
    int dimension();

    /** The rate the model's features are computed at; other input is resampled to it. */
    int sampleRateHz();

    /**
     * The rate of the mono signal {@link #mono} returns for input at {@code inputRateHz}: the model's rate when the
     * family resamples each channel first (speechbrain), the input's when it averages first (sherpa-onnx families).
     */
    int monoRateHz(int inputRateHz);

    /**
     * Why input at {@code inputRateHz} cannot be used (a rate sharing too few factors with the model's needs too
     * large a resampling filter), or empty.
     */
    Optional<String> rateProblem(int inputRateHz);

    /** The mono signal of the channels, resampled when the family resamples before it averages. */
    float[] mono(float[][] channels, int sampleRateHz);

    /** The fewest samples of a {@link #mono} signal at {@code monoRateHz} the model can embed. */
    long minimumSamples(int monoRateHz);

    /**
     * The features of a {@link #mono} signal, normalised as the family does.
     *
     * @throws IllegalArgumentException when there are fewer than {@link #minimumSamples} samples
     */
    FeatureMatrix features(float[] mono, int monoRateHz);

    /** The raw embedding (no normalisation of the vector) of {@code features}, {@link #dimension()} values. */
    float[] embed(FeatureMatrix features);

    /** Whether {@link #normalizeEmbedding} does anything (speechbrain's mean_var_norm_emb); false elsewhere. */
    boolean hasEmbeddingNormalization();

    /**
     * speechbrain's {@code normalize=True} step on a raw embedding.
     *
     * @throws UnsupportedOperationException when {@link #hasEmbeddingNormalization()} is false
     */
    float[] normalizeEmbedding(float[] embedding);

    /** The repository files the model was loaded from, with the sizes and sha256 known at load: reads nothing. */
    List<SourceFile> sourceFiles();

    /**
     * The sha256 of the model file that decides the numbers beside the commit, when the identity names it (ONNX
     * files served as they are); empty for speechbrain, whose identity predates this field.
     */
    Optional<String> identityFileSha256();

    /** How a checkpoint became the ONNX graph, for families that convert; empty when the file is ONNX already. */
    Optional<ConversionInfo> conversion();

    /** The model's own metadata as read at load (ONNX custom metadata, hyperparameters), for /v1/model. */
    Map<String, String> metadata();

    /** The front-end settings in force (rates, window, mel bins, normalisations), for /v1/model. */
    Map<String, String> frontEnd();

    String onnxRuntimeVersion();

    @Override
    void close();
}
