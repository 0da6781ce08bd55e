package dev.speakerembedding.model.sherpa;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The speaker-embedding model families sherpa-onnx runs, by the value of their {@code framework} metadata key (the
 * same words {@code MODEL_FAMILY} takes).
 *
 * <p>The defaults below are what {@code MODEL_FAMILY} supplies for an ONNX file that carries no sherpa-onnx metadata
 * (as WeSpeaker publishes its own exports); they are the values sherpa-onnx's export scripts write for the family's
 * published models:
 * <table>
 * <caption>family defaults</caption>
 * <tr><th>key</th><th>wespeaker</th><th>3d-speaker</th><th>nemo</th></tr>
 * <tr><td>sample_rate</td><td>16000</td><td>16000</td><td>16000</td></tr>
 * <tr><td>normalize_samples</td><td>0 (samples scaled to the int16 range)</td><td>1</td><td>1 (NeMo ignores it)</td></tr>
 * <tr><td>feature_normalize_type</td><td>none</td><td>global-mean</td><td>per_feature</td></tr>
 * <tr><td>language</td><td>unknown</td><td>unknown</td><td>unknown</td></tr>
 * <tr><td>feat_dim</td><td>80 (fixed)</td><td>80 (fixed)</td><td>80</td></tr>
 * <tr><td>window_size_ms / window_stride_ms</td><td>25 / 10 (fixed)</td><td>25 / 10 (fixed)</td><td>25 / 10</td></tr>
 * <tr><td>window_type</td><td>povey (fixed)</td><td>povey (fixed)</td><td>hann (NeMo's preprocessor)</td></tr>
 * <tr><td>output_dim</td><td colspan="3">none: taken from the model's embedding output shape</td></tr>
 * </table>
 * A file with sherpa-onnx metadata gets sherpa-onnx's own defaults for its optional keys instead (no feature
 * normalisation; for NeMo the povey window), because that is what sherpa-onnx feeds such a model.
 */
public enum SherpaFamily {

    WESPEAKER("wespeaker", Map.of("sample_rate", "16000", "normalize_samples", "0", "feature_normalize_type", "",
            "language", "unknown")),
    THREE_D_SPEAKER("3d-speaker", Map.of("sample_rate", "16000", "normalize_samples", "1",
            "feature_normalize_type", "global-mean", "language", "unknown")),
    NEMO("nemo", Map.of("sample_rate", "16000", "normalize_samples", "1", "feature_normalize_type", "per_feature",
            "language", "unknown", "feat_dim", "80", "window_size_ms", "25", "window_stride_ms", "10",
            "window_type", "hann"));

    private final String metadataName;
    private final Map<String, String> defaults;

    SherpaFamily(String metadataName, Map<String, String> defaults) {
        this.metadataName = metadataName;
        this.defaults = defaults;
    }

    /** The {@code framework} metadata value and {@code MODEL_FAMILY} value: wespeaker, 3d-speaker or nemo. */
    public String metadataName() {
        return metadataName;
    }

    /** The metadata this family assumes for a file without sherpa-onnx metadata (see the class comment). */
    public Map<String, String> defaults() {
        return defaults;
    }

    /** The family called {@code name} (exact, lower case as sherpa-onnx writes it), or null. */
    public static SherpaFamily fromMetadataName(String name) {
        for (SherpaFamily family : values()) {
            if (family.metadataName.equals(name)) {
                return family;
            }
        }
        return null;
    }

    /** "wespeaker, 3d-speaker, nemo" for messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(SherpaFamily::metadataName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return metadataName.toLowerCase(Locale.ROOT);
    }
}
