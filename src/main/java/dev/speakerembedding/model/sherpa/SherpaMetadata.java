package dev.speakerembedding.model.sherpa;

import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import dev.speakerembedding.model.ModelFormatException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The pre-processing a sherpa-onnx speaker-embedding model declares in its ONNX metadata (sherpa-onnx 1.13.8's
 * keys), validated.
 *
 * <p>Which keys are read: WeSpeaker and 3D-Speaker need {@code framework}, {@code output_dim},
 * {@code sample_rate}, {@code normalize_samples} and {@code language}, and may have
 * {@code feature_normalize_type} ({@code ""} or {@code global-mean}). NeMo needs {@code framework},
 * {@code output_dim}, {@code feat_dim}, {@code sample_rate}, {@code window_size_ms}, {@code window_stride_ms} and
 * {@code language}, and may have {@code feature_normalize_type} ({@code ""} or {@code per_feature}) and
 * {@code window_type} (default {@code povey}); it ignores {@code normalize_samples}. Unlike sherpa-onnx, which
 * crashes, exits or silently reads a garbled number as 0, every missing or invalid value here is a
 * {@link ModelFormatException} naming the file, the key, the value and the remedy.
 *
 * <p>A file without a {@code framework} key is not sherpa-onnx metadata: it needs {@code MODEL_FAMILY}, whose
 * {@link SherpaFamily#defaults() defaults} fill every key the file lacks (keys it has still win); its
 * {@code output_dim} is then left for the model's output shape.
 *
 * @param family                the model family
 * @param declaredOutputDim     {@code output_dim}, when the file declares it (to be checked against the model)
 * @param sampleRateHz          rate the features are computed at; other input is resampled to it
 * @param normalizeSamples      false: samples are scaled to the int16 range (x 32768) before anything else;
 *                              ignored for NeMo, which always takes samples in [-1, 1]
 * @param language              informational
 * @param featureNormalization  the per-utterance normalisation of the features
 * @param featureDim            mel bins per frame (NeMo's {@code feat_dim}; always 80 for the other families)
 * @param windowSizeMs          frame length in ms (NeMo's {@code window_size_ms}; 25 for the others)
 * @param windowStrideMs        frame shift in ms (NeMo's {@code window_stride_ms}; 10 for the others)
 * @param windowType            frame window (NeMo's {@code window_type}; povey for the others)
 * @param defaultedKeys         the keys whose values came from the family defaults, not from the file
 */
public record SherpaMetadata(SherpaFamily family, OptionalInt declaredOutputDim, int sampleRateHz,
                             boolean normalizeSamples, String language, FeatureNormalization featureNormalization,
                             int featureDim, int windowSizeMs, int windowStrideMs, WindowType windowType,
                             Set<String> defaultedKeys) {

    /** Mel bins, frame length and shift sherpa-onnx uses for WeSpeaker and 3D-Speaker models. */
    public static final int GENERAL_FEATURE_DIM = 80;
    public static final int GENERAL_WINDOW_SIZE_MS = 25;
    public static final int GENERAL_WINDOW_STRIDE_MS = 10;

    /** Highest sample rate accepted, in Hz (the WAV decoder's limit too). */
    public static final int MAX_SAMPLE_RATE_HZ = 768_000;
    /** Longest frame accepted, in ms: speaker models use 25 ms; a second would be a broken file. */
    public static final int MAX_WINDOW_MS = 1000;
    /** Most mel bins accepted; models use 64 to 80. */
    public static final int MAX_FEATURE_DIM = 512;

    /** The {@code feature_normalize_type} values sherpa-onnx knows. */
    public enum FeatureNormalization {
        /** {@code ""}: features as computed. */
        NONE(""),
        /** {@code global-mean}: each bin's mean over the utterance subtracted (WeSpeaker/3D-Speaker only). */
        GLOBAL_MEAN("global-mean"),
        /** {@code per_feature}: each bin's mean and standard deviation normalised (NeMo only). */
        PER_FEATURE("per_feature");

        private final String metadataValue;

        FeatureNormalization(String metadataValue) {
            this.metadataValue = metadataValue;
        }

        public String metadataValue() {
            return metadataValue;
        }
    }

    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,9}");
    private static final String FRAMEWORK = "framework";

    public SherpaMetadata {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(declaredOutputDim, "declaredOutputDim");
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(featureNormalization, "featureNormalization");
        Objects.requireNonNull(windowType, "windowType");
        defaultedKeys = Set.copyOf(defaultedKeys);
    }

    /**
     * Reads the metadata of {@code fileName}.
     *
     * @param fileName          the model file, for messages
     * @param metadata          the ONNX model's custom metadata
     * @param configuredFamily  {@code MODEL_FAMILY}, or null when not set
     * @throws ModelFormatException naming the key, its value and the remedy when anything is missing or invalid
     */
    public static SherpaMetadata parse(String fileName, Map<String, String> metadata, SherpaFamily configuredFamily)
            throws ModelFormatException {
        String framework = metadata.get(FRAMEWORK);
        SherpaFamily family;
        Map<String, String> defaults;
        if (framework == null || framework.isEmpty()) {
            if (configuredFamily == null) {
                throw new ModelFormatException(fileName + ": no sherpa-onnx metadata (no '" + FRAMEWORK
                        + "' key; keys found: " + keys(metadata) + "). Set MODEL_FAMILY to one of "
                        + SherpaFamily.supportedNames() + " to use that family's defaults, or add sherpa-onnx's"
                        + " metadata to the file");
            }
            family = configuredFamily;
            defaults = family.defaults();
        } else {
            family = SherpaFamily.fromMetadataName(framework);
            if (family == null) {
                throw new ModelFormatException(fileName + ": metadata '" + FRAMEWORK + "' is " + quote(framework)
                        + ", which is not a supported family (supported: " + SherpaFamily.supportedNames() + ")");
            }
            if (configuredFamily != null && configuredFamily != family) {
                throw new ModelFormatException(fileName + ": metadata '" + FRAMEWORK + "' says " + family
                        + " but MODEL_FAMILY is " + configuredFamily + "; unset MODEL_FAMILY or set it to "
                        + family);
            }
            defaults = Map.of();
        }
        Reader r = new Reader(fileName, metadata, defaults, family);
        OptionalInt outputDim = metadata.containsKey("output_dim") || defaults.isEmpty()
                ? OptionalInt.of(r.integer("output_dim", 1, Integer.MAX_VALUE)) : OptionalInt.empty();
        int sampleRateHz = r.integer("sample_rate", 1, MAX_SAMPLE_RATE_HZ);
        String language = r.string("language");
        String normalizeType = r.optional("feature_normalize_type", "");
        if (family == SherpaFamily.NEMO) {
            // sherpa-onnx never reads normalize_samples for NeMo: the samples stay in [-1, 1].
            int featureDim = r.integer("feat_dim", 3, MAX_FEATURE_DIM);
            int windowSizeMs = r.integer("window_size_ms", 1, MAX_WINDOW_MS);
            int windowStrideMs = r.integer("window_stride_ms", 1, MAX_WINDOW_MS);
            String windowName = r.optional("window_type", WindowType.POVEY.kaldiName());
            WindowType windowType = WindowType.fromKaldiName(windowName);
            if (windowType == null) {
                throw r.invalid("window_type", windowName, "one of " + Arrays.stream(WindowType.values())
                        .map(WindowType::kaldiName).collect(Collectors.joining(", ")));
            }
            FeatureNormalization normalization = r.normalization(normalizeType, FeatureNormalization.NONE,
                    FeatureNormalization.PER_FEATURE);
            return new SherpaMetadata(family, outputDim, sampleRateHz, true, language, normalization, featureDim,
                    windowSizeMs, windowStrideMs, windowType, r.defaulted);
        }
        boolean normalizeSamples = r.integer("normalize_samples", 0, Integer.MAX_VALUE) != 0;
        FeatureNormalization normalization = r.normalization(normalizeType, FeatureNormalization.NONE,
                FeatureNormalization.GLOBAL_MEAN);
        return new SherpaMetadata(family, outputDim, sampleRateHz, normalizeSamples, language, normalization,
                GENERAL_FEATURE_DIM, GENERAL_WINDOW_SIZE_MS, GENERAL_WINDOW_STRIDE_MS, WindowType.POVEY,
                r.defaulted);
    }

    /** A metadata value for a message: quoted, and cut short when long (the file is not trusted). */
    private static String quote(String value) {
        return "'" + (value.length() > 80 ? value.substring(0, 80) + "..." : value) + "'";
    }

    /** The file's keys for a message, sorted; at most 20, each cut short. */
    private static String keys(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return "none";
        }
        List<String> sorted = new TreeSet<>(metadata.keySet()).stream()
                .map(k -> k.length() > 40 ? k.substring(0, 40) + "..." : k).toList();
        String shown = String.join(", ", sorted.subList(0, Math.min(20, sorted.size())));
        return sorted.size() > 20 ? shown + " and " + (sorted.size() - 20) + " more" : shown;
    }

    /** Looks keys up in the file, then in the family defaults, recording which came from the defaults. */
    private static final class Reader {
        private final String fileName;
        private final Map<String, String> metadata;
        private final Map<String, String> defaults;
        private final SherpaFamily family;
        private final Set<String> defaulted = new TreeSet<>();

        Reader(String fileName, Map<String, String> metadata, Map<String, String> defaults, SherpaFamily family) {
            this.fileName = fileName;
            this.metadata = metadata;
            this.defaults = defaults;
            this.family = family;
        }

        private String lookUp(String key) {
            String value = metadata.get(key);
            if (value == null && defaults.containsKey(key)) {
                defaulted.add(key);
                return defaults.get(key);
            }
            return value;
        }

        String required(String key) throws ModelFormatException {
            String value = lookUp(key);
            if (value == null) {
                throw new ModelFormatException(fileName + ": sherpa-onnx metadata key '" + key + "' is missing;"
                        + " framework " + family + " requires it (keys found: " + keys(metadata) + "). Add it to"
                        + " the model's metadata (as sherpa-onnx's export scripts do)");
            }
            return value;
        }

        int integer(String key, int min, int max) throws ModelFormatException {
            String value = required(key);
            String trimmed = value.strip();
            if (!DECIMAL.matcher(trimmed).matches()) {
                throw invalid(key, value, "a whole number from " + min + " to " + max);
            }
            int parsed = Integer.parseInt(trimmed);
            if (parsed < min || parsed > max) {
                throw invalid(key, value, "a whole number from " + min + " to " + max);
            }
            return parsed;
        }

        String string(String key) throws ModelFormatException {
            String value = required(key);
            if (value.isBlank()) {
                throw invalid(key, value, "a non-empty text");
            }
            return value;
        }

        String optional(String key, String sherpaDefault) {
            String value = lookUp(key);
            return value == null ? sherpaDefault : value;
        }

        FeatureNormalization normalization(String value, FeatureNormalization... allowed)
                throws ModelFormatException {
            for (FeatureNormalization candidate : allowed) {
                if (candidate.metadataValue().equals(value)) {
                    return candidate;
                }
            }
            throw invalid("feature_normalize_type", value, "for framework " + family + " one of "
                    + Arrays.stream(allowed).map(n -> "'" + n.metadataValue() + "'")
                    .collect(Collectors.joining(", ")));
        }

        ModelFormatException invalid(String key, String value, String expected) {
            String origin = defaulted.contains(key) ? " (MODEL_FAMILY default)" : "";
            return new ModelFormatException(fileName + ": sherpa-onnx metadata key '" + key + "' is " + quote(value)
                    + origin + "; it must be " + expected + ". Correct the model's metadata");
        }
    }
}
