package dev.speakerembedding.model.sherpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.sherpa.SherpaMetadata.FeatureNormalization;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SherpaMetadataTest {

    /** As sherpa-onnx's export scripts write them (values are strings in ONNX metadata). */
    static Map<String, String> wespeaker() {
        return new HashMap<>(Map.of("framework", "wespeaker", "output_dim", "256", "sample_rate", "16000",
                "normalize_samples", "0", "language", "English", "url", "https://example.org", "comment", "x"));
    }

    static Map<String, String> threeDSpeaker() {
        return new HashMap<>(Map.of("framework", "3d-speaker", "output_dim", "192", "sample_rate", "16000",
                "normalize_samples", "1", "language", "Chinese", "feature_normalize_type", "global-mean"));
    }

    static Map<String, String> nemo() {
        return new HashMap<>(Map.of("framework", "nemo", "output_dim", "192", "feat_dim", "80",
                "sample_rate", "16000", "window_size_ms", "25", "window_stride_ms", "10", "language", "English",
                "feature_normalize_type", "per_feature", "window_type", "hann"));
    }

    private static String error(Map<String, String> metadata, SherpaFamily configured) {
        return assertThrows(ModelFormatException.class, () -> SherpaMetadata.parse("m.onnx", metadata, configured))
                .getMessage();
    }

    @Test
    void readsEachFamilysKeys() throws Exception {
        SherpaMetadata w = SherpaMetadata.parse("m.onnx", wespeaker(), null);
        assertEquals(SherpaFamily.WESPEAKER, w.family());
        assertEquals(OptionalInt.of(256), w.declaredOutputDim());
        assertEquals(16000, w.sampleRateHz());
        assertFalse(w.normalizeSamples());
        assertEquals(FeatureNormalization.NONE, w.featureNormalization());
        assertEquals(80, w.featureDim());
        assertEquals(WindowType.POVEY, w.windowType());
        assertEquals(Set.of(), w.defaultedKeys());

        SherpaMetadata d = SherpaMetadata.parse("m.onnx", threeDSpeaker(), null);
        assertEquals(SherpaFamily.THREE_D_SPEAKER, d.family());
        assertTrue(d.normalizeSamples());
        assertEquals(FeatureNormalization.GLOBAL_MEAN, d.featureNormalization());
        assertEquals("Chinese", d.language());

        Map<String, String> nemoKeys = nemo();
        nemoKeys.put("feat_dim", "64");
        nemoKeys.put("window_size_ms", "20");
        SherpaMetadata n = SherpaMetadata.parse("m.onnx", nemoKeys, null);
        assertEquals(SherpaFamily.NEMO, n.family());
        assertEquals(64, n.featureDim());
        assertEquals(20, n.windowSizeMs());
        assertEquals(10, n.windowStrideMs());
        assertEquals(WindowType.HANN, n.windowType());
        assertEquals(FeatureNormalization.PER_FEATURE, n.featureNormalization());
    }

    @Test
    void optionalKeysTakeSherpaOnnxsDefaultsInAFileWithItsMetadata() throws Exception {
        Map<String, String> metadata = nemo();
        metadata.remove("window_type");
        metadata.remove("feature_normalize_type");
        SherpaMetadata n = SherpaMetadata.parse("m.onnx", metadata, null);
        assertEquals(WindowType.POVEY, n.windowType(), "sherpa-onnx's reader defaults to povey, not NeMo's hann");
        assertEquals(FeatureNormalization.NONE, n.featureNormalization());
        assertEquals(Set.of(), n.defaultedKeys());
    }

    @Test
    void nemoIgnoresNormalizeSamples() throws Exception {
        Map<String, String> metadata = nemo();
        metadata.put("normalize_samples", "0");
        assertTrue(SherpaMetadata.parse("m.onnx", metadata, null).normalizeSamples());
    }

    @Test
    void aFileWithoutMetadataNeedsModelFamily() {
        String message = error(Map.of("producer", "wespeaker"), null);
        assertTrue(message.contains("m.onnx") && message.contains("no sherpa-onnx metadata")
                && message.contains("MODEL_FAMILY") && message.contains("wespeaker, 3d-speaker, nemo")
                && message.contains("keys found: producer"), message);
    }

    @Test
    void modelFamilyFillsTheKeysAFileLacks() throws Exception {
        SherpaMetadata w = SherpaMetadata.parse("m.onnx", Map.of(), SherpaFamily.WESPEAKER);
        assertEquals(OptionalInt.empty(), w.declaredOutputDim(), "left for the model's output shape");
        assertEquals(16000, w.sampleRateHz());
        assertFalse(w.normalizeSamples(), "WeSpeaker models take int16-range samples");
        assertEquals(FeatureNormalization.NONE, w.featureNormalization());
        assertEquals(Set.of("sample_rate", "normalize_samples", "feature_normalize_type", "language"),
                w.defaultedKeys());

        SherpaMetadata d = SherpaMetadata.parse("m.onnx", Map.of("sample_rate", "8000"),
                SherpaFamily.THREE_D_SPEAKER);
        assertEquals(8000, d.sampleRateHz(), "a key the file has wins");
        assertTrue(d.normalizeSamples());
        assertEquals(FeatureNormalization.GLOBAL_MEAN, d.featureNormalization());
        assertFalse(d.defaultedKeys().contains("sample_rate"));

        SherpaMetadata n = SherpaMetadata.parse("m.onnx", Map.of("output_dim", "192"), SherpaFamily.NEMO);
        assertEquals(OptionalInt.of(192), n.declaredOutputDim());
        assertEquals(WindowType.HANN, n.windowType(), "NeMo's own preprocessor window");
        assertEquals(FeatureNormalization.PER_FEATURE, n.featureNormalization());
        assertEquals(80, n.featureDim());
        assertEquals(25, n.windowSizeMs());
    }

    @Test
    void modelFamilyMustAgreeWithTheFilesFramework() {
        String message = error(wespeaker(), SherpaFamily.NEMO);
        assertTrue(message.contains("says wespeaker but MODEL_FAMILY is nemo"), message);
    }

    @Test
    void anUnknownFrameworkNamesTheSupportedOnes() {
        Map<String, String> metadata = wespeaker();
        metadata.put("framework", "speechbrain");
        String message = error(metadata, null);
        assertTrue(message.contains("'speechbrain'") && message.contains("wespeaker, 3d-speaker, nemo"), message);
        metadata.put("framework", "WeSpeaker");
        assertTrue(error(metadata, null).contains("'WeSpeaker'"), "exact lower-case names, as sherpa-onnx");
    }

    @Test
    void everyRequiredKeyIsNamedWhenMissing() {
        for (String key : new String[] {"output_dim", "sample_rate", "normalize_samples", "language"}) {
            Map<String, String> metadata = wespeaker();
            metadata.remove(key);
            String message = error(metadata, null);
            assertTrue(message.contains("m.onnx") && message.contains("'" + key + "' is missing")
                    && message.contains("framework wespeaker requires it") && message.contains("Add it"), message);
        }
        for (String key : new String[] {"output_dim", "feat_dim", "sample_rate", "window_size_ms",
                "window_stride_ms", "language"}) {
            Map<String, String> metadata = nemo();
            metadata.remove(key);
            assertTrue(error(metadata, null).contains("'" + key + "' is missing"), key);
        }
    }

    @Test
    void numbersMustBeWholeAndInRange() {
        Object[][] bad = {
            {"output_dim", "abc"}, {"output_dim", "0"}, {"output_dim", "-5"}, {"output_dim", "256.0"},
            {"sample_rate", "16k"}, {"sample_rate", "0"}, {"sample_rate", "9999999"}, {"normalize_samples", "-1"},
            {"normalize_samples", "yes"}, {"output_dim", ""}, {"output_dim", "99999999999"},
        };
        for (Object[] entry : bad) {
            Map<String, String> metadata = wespeaker();
            metadata.put((String) entry[0], (String) entry[1]);
            String message = error(metadata, null);
            assertTrue(message.contains("'" + entry[0] + "' is '" + entry[1] + "'")
                    && message.contains("must be a whole number from"), message);
        }
        Map<String, String> metadata = nemo();
        metadata.put("feat_dim", "2");
        assertTrue(error(metadata, null).contains("'feat_dim' is '2'"));
        metadata = nemo();
        metadata.put("window_size_ms", "0");
        assertTrue(error(metadata, null).contains("'window_size_ms' is '0'"));
    }

    @Test
    void normalizeSamplesFollowsSherpaOnnxZeroOrNot() throws Exception {
        Map<String, String> metadata = wespeaker();
        metadata.put("normalize_samples", "2");
        assertTrue(SherpaMetadata.parse("m.onnx", metadata, null).normalizeSamples());
        metadata.put("normalize_samples", " 0 ");
        assertFalse(SherpaMetadata.parse("m.onnx", metadata, null).normalizeSamples());
    }

    @Test
    void theFeatureNormalisationMustSuitTheFamily() {
        Map<String, String> metadata = wespeaker();
        metadata.put("feature_normalize_type", "per_feature");
        String message = error(metadata, null);
        assertTrue(message.contains("'feature_normalize_type' is 'per_feature'")
                && message.contains("for framework wespeaker one of '', 'global-mean'"), message);
        metadata = nemo();
        metadata.put("feature_normalize_type", "global-mean");
        assertTrue(error(metadata, null).contains("for framework nemo one of '', 'per_feature'"));
    }

    @Test
    void theWindowTypeMustBeOneKaldiKnows() {
        Map<String, String> metadata = nemo();
        metadata.put("window_type", "kaiser");
        String message = error(metadata, null);
        assertTrue(message.contains("'window_type' is 'kaiser'") && message.contains("povey, hann, hanning"),
                message);
    }

    @Test
    void anEmptyLanguageIsRefusedAsSherpaOnnxDoes() {
        Map<String, String> metadata = wespeaker();
        metadata.put("language", " ");
        assertTrue(error(metadata, null).contains("'language' is ' '; it must be a non-empty text"));
    }

    @Test
    void longValuesAreCutInMessages() {
        Map<String, String> metadata = wespeaker();
        metadata.put("framework", "x".repeat(5000));
        String message = error(metadata, null);
        assertTrue(message.length() < 400, message);
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            many.put("key" + i + "y".repeat(100), "v");
        }
        message = error(many, null);
        assertTrue(message.length() < 1500 && message.contains("and 980 more"), message);
    }

    @Test
    void aFilterbankTheMetadataCannotBuildIsAModelError() throws Exception {
        Map<String, String> metadata = nemo();
        metadata.put("feat_dim", "400");
        metadata.put("sample_rate", "8000");
        SherpaMetadata parsed = SherpaMetadata.parse("m.onnx", metadata, null);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new SherpaFrontEnd("m.onnx", parsed));
        assertTrue(e.getMessage().contains("m.onnx") && e.getMessage().contains("no usable filterbank")
                && e.getMessage().contains("covers no FFT bin"), e.getMessage());
    }
}
