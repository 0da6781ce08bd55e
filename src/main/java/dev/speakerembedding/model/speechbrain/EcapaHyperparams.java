package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.speechbrain.HyperPyYaml.Tagged;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ECAPA-TDNN architecture and feature size a speechbrain hub {@code hyperparams.yaml} declares
 * (the {@code embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN} arguments, speechbrain's
 * defaults where absent).
 *
 * @param nMels             mel bands of {@code compute_features} (Fbank), the model's feature width
 * @param inputSize         ECAPA_TDNN input_size (must equal nMels)
 * @param channels          output channels of block 0, the SE-Res2Net blocks, and the MFA layer (last)
 * @param kernelSizes       kernel size per entry of {@code channels}
 * @param dilations         dilation per entry of {@code channels}
 * @param attentionChannels attentive statistics pooling's hidden width
 * @param linNeurons        embedding dimension
 * @param res2netScale      Res2Net chunks per SE-Res2Net block
 * @param seChannels        squeeze-excitation bottleneck width
 * @param globalContext     whether attention sees the utterance mean and std
 */
public record EcapaHyperparams(int nMels, int inputSize, List<Integer> channels, List<Integer> kernelSizes,
                               List<Integer> dilations, int attentionChannels, int linNeurons, int res2netScale,
                               int seChannels, boolean globalContext) {

    static final String ECAPA_TAG = "!new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN";
    static final String FBANK_TAG = "!new:speechbrain.lobes.features.Fbank";
    static final String INPUT_NORMALIZATION_TAG = "!new:speechbrain.processing.features.InputNormalization";
    static final String RELU_TAG = "!name:torch.nn.ReLU";

    /** speechbrain 1.0 defaults for arguments the file may omit. */
    static final int DEFAULT_FBANK_MELS = 40;
    static final int DEFAULT_RES2NET_SCALE = 8;
    static final int DEFAULT_SE_CHANNELS = 128;
    static final int DEFAULT_ATTENTION_CHANNELS = 128;
    static final int DEFAULT_LIN_NEURONS = 192;

    private static final Set<String> ECAPA_ARGUMENTS = Set.of("input_size", "device", "lin_neurons", "activation",
            "channels", "kernel_sizes", "dilations", "attention_channels", "res2net_scale", "se_channels",
            "global_context", "groups", "dropout");

    public EcapaHyperparams {
        channels = List.copyOf(channels);
        kernelSizes = List.copyOf(kernelSizes);
        dilations = List.copyOf(dilations);
    }

    public static EcapaHyperparams read(Path yamlFile) throws ModelFormatException {
        String text;
        try {
            text = Files.readString(yamlFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFormatException(yamlFile.getFileName() + ": cannot read (" + e + ")", e);
        }
        return parse(text, yamlFile.getFileName().toString());
    }

    public static EcapaHyperparams parse(String yaml, String fileName) throws ModelFormatException {
        Map<String, Object> top = HyperPyYaml.load(yaml, fileName);
        Map<?, ?> ecapa = newArguments(top, "embedding_model", ECAPA_TAG, fileName);
        for (Object key : ecapa.keySet()) {
            if (!ECAPA_ARGUMENTS.contains(String.valueOf(key))) {
                throw new ModelFormatException(fileName + ": embedding_model has unknown argument " + key);
            }
        }
        Map<?, ?> fbank = newArguments(top, "compute_features", FBANK_TAG, fileName);
        checkInputNormalization(top, "mean_var_norm", "sentence", fileName);
        checkInputNormalization(top, "mean_var_norm_emb", "global", fileName);

        Args args = new Args(ecapa, fileName, "embedding_model");
        EcapaHyperparams params = new EcapaHyperparams(
                new Args(fbank, fileName, "compute_features").integer("n_mels", DEFAULT_FBANK_MELS),
                args.integer("input_size", null),
                args.integers("channels", List.of(512, 512, 512, 512, 1536)),
                args.integers("kernel_sizes", List.of(5, 3, 3, 3, 1)),
                args.integers("dilations", List.of(1, 2, 3, 4, 1)),
                args.integer("attention_channels", DEFAULT_ATTENTION_CHANNELS),
                args.integer("lin_neurons", DEFAULT_LIN_NEURONS),
                args.integer("res2net_scale", DEFAULT_RES2NET_SCALE),
                args.integer("se_channels", DEFAULT_SE_CHANNELS),
                args.bool("global_context", true));
        args.requireAllEqual("groups", 1, params.channels().size());
        if (ecapa.containsKey("activation")) {
            Object activation = ecapa.get("activation");
            if (!(activation instanceof Tagged t) || !RELU_TAG.equals(t.tag())) {
                throw new ModelFormatException(fileName + ": embedding_model activation " + activation
                        + " is not supported (only torch.nn.ReLU)");
            }
        }
        params.validate(fileName);
        return params;
    }

    /** Number of TDNN/SE-Res2Net blocks before the MFA layer (block 0 plus the SE-Res2Net blocks). */
    public int blockCount() {
        return channels.size() - 1;
    }

    /** Channels of the MFA output, the input of attentive statistics pooling. */
    public int mfaChannels() {
        return channels.get(channels.size() - 1);
    }

    /** Reflection padding needs more frames than the widest pad; speechbrain fails below this. */
    public int minimumFrames() {
        int maxPad = 0;
        for (int i = 0; i < channels.size(); i++) {
            maxPad = Math.max(maxPad, padding(i));
        }
        return maxPad + 1;
    }

    /** "Same" padding on each side of layer i's convolutions: dilation * (kernel - 1) / 2. */
    public int padding(int layer) {
        return dilations.get(layer) * (kernelSizes.get(layer) - 1) / 2;
    }

    private void validate(String fileName) throws ModelFormatException {
        int n = channels.size();
        if (n < 3 || kernelSizes.size() != n || dilations.size() != n) {
            throw new ModelFormatException(fileName + ": channels " + channels + ", kernel_sizes " + kernelSizes
                    + " and dilations " + dilations + " must have the same length (at least 3)");
        }
        if (inputSize != nMels) {
            throw new ModelFormatException(fileName + ": embedding_model input_size " + inputSize
                    + " differs from compute_features n_mels " + nMels);
        }
        for (int i = 0; i < n; i++) {
            if (channels.get(i) <= 0 || dilations.get(i) <= 0 || kernelSizes.get(i) <= 0
                    || kernelSizes.get(i) % 2 == 0) {
                throw new ModelFormatException(fileName + ": layer " + i + " needs positive channels and dilation"
                        + " and an odd kernel size, got " + channels.get(i) + ", " + dilations.get(i) + ", "
                        + kernelSizes.get(i));
            }
        }
        for (int i = 1; i < n - 1; i++) {
            if (channels.get(i) % res2netScale != 0) {
                throw new ModelFormatException(fileName + ": channels[" + i + "] = " + channels.get(i)
                        + " is not divisible by res2net_scale " + res2netScale);
            }
        }
        if (res2netScale < 2 || attentionChannels <= 0 || linNeurons <= 0 || seChannels <= 0 || nMels <= 0) {
            throw new ModelFormatException(fileName + ": res2net_scale " + res2netScale + ", attention_channels "
                    + attentionChannels + ", lin_neurons " + linNeurons + ", se_channels " + seChannels
                    + ", n_mels " + nMels + " out of range");
        }
    }

    private static Map<?, ?> newArguments(Map<String, Object> top, String key, String tag, String fileName)
            throws ModelFormatException {
        Object value = HyperPyYaml.resolve(top.get(key), top, fileName);
        if (!(value instanceof Tagged t) || !tag.equals(t.tag())) {
            throw new ModelFormatException(fileName + ": " + key + " is not " + tag);
        }
        if (t.value() instanceof Map<?, ?> map) {
            return map;
        }
        if (t.value() == null || "".equals(t.value())) {
            return Map.of();
        }
        throw new ModelFormatException(fileName + ": " + key + " arguments are not a mapping");
    }

    /** The service's front end and {@code applyMeanVarNorm} assume speechbrain's spkrec setup: fail on others. */
    private static void checkInputNormalization(Map<String, Object> top, String key, String normType,
                                                String fileName) throws ModelFormatException {
        Args args = new Args(newArguments(top, key, INPUT_NORMALIZATION_TAG, fileName), fileName, key);
        String actual = args.string("norm_type", "global");
        if (!normType.equals(actual)) {
            throw new ModelFormatException(fileName + ": " + key + " norm_type is " + actual + ", expected "
                    + normType);
        }
        if ("sentence".equals(normType) && args.bool("std_norm", true)) {
            throw new ModelFormatException(fileName + ": " + key + " uses std_norm, which is not supported");
        }
    }

    /** Typed access to a resolved argument mapping, with file and key in every error. */
    private record Args(Map<?, ?> map, String fileName, String owner) {

        int integer(String key, Integer defaultValue) throws ModelFormatException {
            Object value = map.get(key);
            if (value == null) {
                if (defaultValue == null) {
                    throw new ModelFormatException(fileName + ": " + owner + " lacks " + key);
                }
                return defaultValue;
            }
            return toInt(key, value);
        }

        List<Integer> integers(String key, List<Integer> defaultValue) throws ModelFormatException {
            Object value = map.get(key);
            if (value == null) {
                return defaultValue;
            }
            if (!(value instanceof List<?> list)) {
                throw new ModelFormatException(fileName + ": " + owner + " " + key + " is not a list: " + value);
            }
            List<Integer> out = new ArrayList<>();
            for (Object item : list) {
                out.add(toInt(key, item));
            }
            return out;
        }

        void requireAllEqual(String key, int expected, int count) throws ModelFormatException {
            if (map.get(key) != null) {
                for (int v : integers(key, List.of())) {
                    if (v != expected) {
                        throw new ModelFormatException(fileName + ": " + owner + " " + key + " = " + map.get(key)
                                + " is not supported (only " + expected + ")");
                    }
                }
            }
        }

        boolean bool(String key, boolean defaultValue) throws ModelFormatException {
            Object value = map.get(key);
            if (value == null) {
                return defaultValue;
            }
            if (value instanceof Boolean b) {
                return b;
            }
            throw new ModelFormatException(fileName + ": " + owner + " " + key + " is not a boolean: " + value);
        }

        String string(String key, String defaultValue) {
            Object value = map.get(key);
            return value == null ? defaultValue : String.valueOf(value);
        }

        private int toInt(String key, Object value) throws ModelFormatException {
            if (value instanceof Integer i) {
                return i;
            }
            if (value instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
                return (int) (long) l;
            }
            throw new ModelFormatException(fileName + ": " + owner + " " + key + " is not an integer: " + value);
        }
    }
}
