package dev.speakerembedding.profiles;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What made a vector: two vectors may be compared only when their identities are equal (record equality is the
 * definition of "same model"). Every field is one that changes the numbers.
 *
 * <p>Not in it: the {@code unit_length} option, because stored vectors are always unit-length and cosine scoring
 * ignores length; the revision name asked for ({@code main}), because the resolved commit is what decides; the
 * device and thread count, which change rounding only.
 *
 * <p>The {@link #key() key} is the form stored beside every vector and compared on load, e.g.
 * {@code v1;family=speechbrain-ecapa;repo=speechbrain/spkrec-ecapa-voxceleb;commit=<40 hex>;dim=192;norm=raw;precision=fp32}.
 * It needs no escaping: every field is restricted to characters that cannot be a separator.
 *
 * @param family        the model family and its front end, e.g. {@value #SPEECHBRAIN_ECAPA}
 * @param repoId        the Hub repository, e.g. {@code speechbrain/spkrec-ecapa-voxceleb}
 * @param commit        the resolved commit, 40 lowercase hexadecimal digits
 * @param dimension     values per vector
 * @param normalization what was done to the model's output before it was stored
 * @param precision     the numeric precision the model ran in, e.g. {@value #FP32}
 * @param modelSha256   sha256 (hex) of the model file for families served from one ONNX file (sherpa-onnx's), which
 *                      the key then ends with ({@code ;sha256=<64 hex>}); null for speechbrain, whose key predates it
 *                      and stays as it was so that stored profiles stay valid
 */
public record ModelIdentity(String family, String repoId, String commit, int dimension, Normalization normalization,
                            String precision, String modelSha256) {

    /** speechbrain's ECAPA-TDNN checkpoint converted to ONNX. */
    public static final String SPEECHBRAIN_ECAPA = "speechbrain-ecapa";
    public static final String FP32 = "fp32";
    /** A speechbrain checkpoint converted with int8 weights (MODEL_PRECISION=int8): never compared with fp32. */
    public static final String INT8 = "int8";
    /** Bumped when the key's layout changes; keys of another version are refused, never guessed at. */
    static final String KEY_VERSION = "v1";
    /** Bounds the stored key so that a database column can hold any valid one. */
    public static final int MAX_KEY_LENGTH = 512;
    static final int MAX_DIMENSION = 65_536;

    private static final Pattern TOKEN = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern KEY = Pattern.compile(KEY_VERSION + ";family=([^;]*);repo=([^;]*);commit=([^;]*)"
            + ";dim=([0-9]{1,6});norm=([^;]*);precision=([^;]*)(?:;sha256=([^;]*))?");

    /** The vector handed to scoring, before any unit-length scaling. */
    public enum Normalization {
        /** The model's output as it is ({@code encode_batch(normalize=False)}). */
        RAW("raw"),
        /** speechbrain's {@code mean_var_norm_emb}: the checkpoint's global mean subtracted. */
        MEAN_VAR_NORM("mean_var_norm");

        private final String keyValue;

        Normalization(String keyValue) {
            this.keyValue = keyValue;
        }

        public String keyValue() {
            return keyValue;
        }

        static Normalization fromKeyValue(String value) {
            for (Normalization n : values()) {
                if (n.keyValue.equals(value)) {
                    return n;
                }
            }
            throw new IllegalArgumentException("unknown normalization '" + value + "' in model identity key");
        }
    }

    public ModelIdentity {
        require(family, TOKEN, "family");
        require(repoId, REPO_ID, "repository id");
        require(commit, COMMIT, "commit (40 lowercase hexadecimal digits)");
        Objects.requireNonNull(normalization, "normalization");
        require(precision, TOKEN, "precision");
        if (dimension < 1 || dimension > MAX_DIMENSION) {
            throw new IllegalArgumentException("dimension must be in 1.." + MAX_DIMENSION + ", got " + dimension);
        }
        if (modelSha256 != null) {
            require(modelSha256, SHA256, "model file sha256 (64 lowercase hexadecimal digits)");
        }
    }

    /** An identity without a model file hash (speechbrain's, and any key written before the field existed). */
    public ModelIdentity(String family, String repoId, String commit, int dimension, Normalization normalization,
                         String precision) {
        this(family, repoId, commit, dimension, normalization, precision, null);
    }

    /** The identity of a model served from one ONNX file of {@code family}, in float32. */
    public static ModelIdentity onnxFile(String family, String repoId, String commit, int dimension,
                                         String modelSha256) {
        return new ModelIdentity(family, repoId, commit, dimension, Normalization.RAW, FP32,
                Objects.requireNonNull(modelSha256, "modelSha256"));
    }

    /** The identity of a converted speechbrain checkpoint in float32. */
    public static ModelIdentity speechbrainEcapa(String repoId, String commit, int dimension,
                                                 Normalization normalization) {
        return speechbrainEcapa(repoId, commit, dimension, normalization, FP32);
    }

    /**
     * The identity of a converted speechbrain checkpoint in {@code precision} ({@value #FP32} or {@value #INT8}):
     * the key differs only in its precision field, so fp32 keys stay exactly as they were.
     */
    public static ModelIdentity speechbrainEcapa(String repoId, String commit, int dimension,
                                                 Normalization normalization, String precision) {
        return new ModelIdentity(SPEECHBRAIN_ECAPA, repoId, commit, dimension, normalization, precision);
    }

    /** The canonical string form: equal identities give equal keys and different ones different keys. */
    public String key() {
        return KEY_VERSION + ";family=" + family + ";repo=" + repoId + ";commit=" + commit + ";dim=" + dimension
                + ";norm=" + normalization.keyValue() + ";precision=" + precision
                + (modelSha256 == null ? "" : ";sha256=" + modelSha256);
    }

    /**
     * Reads a {@link #key()} back.
     *
     * @throws IllegalArgumentException when the text is not a key of this version with valid fields
     */
    public static ModelIdentity parse(String key) {
        Objects.requireNonNull(key, "key");
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("model identity key is " + key.length() + " characters, at most "
                    + MAX_KEY_LENGTH + " expected");
        }
        Matcher m = KEY.matcher(key);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a " + KEY_VERSION + " model identity key: expected " + KEY_VERSION
                    + ";family=...;repo=...;commit=...;dim=...;norm=...;precision=...");
        }
        return new ModelIdentity(m.group(1), m.group(2), m.group(3), Integer.parseInt(m.group(4)),
                Normalization.fromKeyValue(m.group(5)), m.group(6), m.group(7));
    }

    @Override
    public String toString() {
        return key();
    }

    private static void require(String value, Pattern pattern, String what) {
        Objects.requireNonNull(value, what);
        if (!pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid " + what + " '" + value + "' in model identity");
        }
    }
}
