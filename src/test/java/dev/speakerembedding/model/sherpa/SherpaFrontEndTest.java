package dev.speakerembedding.model.sherpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.features.KaldiFbankOptions;
import dev.speakerembedding.features.KaldiFbankOptions.MelScale;
import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SherpaFrontEndTest {

    private static SherpaFrontEnd frontEnd(Map<String, String> metadata) throws Exception {
        return new SherpaFrontEnd("m.onnx", SherpaMetadata.parse("m.onnx", metadata, null));
    }

    @Test
    void fbankOptionsAreSherpaOnnxsPerFamily() throws Exception {
        assertEquals(new KaldiFbankOptions(16000, 25, 10, 80, WindowType.POVEY, true, 0.97f, false, 20, -400,
                MelScale.KALDI), frontEnd(SherpaMetadataTest.wespeaker()).fbankOptions());
        assertEquals(new KaldiFbankOptions(16000, 25, 10, 80, WindowType.HANN, false, 0.97f, true, 0, -400,
                MelScale.SLANEY), frontEnd(SherpaMetadataTest.nemo()).fbankOptions());
    }

    @Test
    void onlyWeSpeakerStyleModelsWithoutNormalizeSamplesGetInt16RangeSamples() throws Exception {
        assertEquals(32768f, frontEnd(SherpaMetadataTest.wespeaker()).sampleScale());
        assertEquals(1f, frontEnd(SherpaMetadataTest.threeDSpeaker()).sampleScale());
        Map<String, String> nemo = SherpaMetadataTest.nemo();
        nemo.put("normalize_samples", "0");
        assertEquals(1f, frontEnd(nemo).sampleScale());
    }

    @Test
    void theFewestSamplesGiveOneFrame() throws Exception {
        SherpaFrontEnd wespeaker = frontEnd(SherpaMetadataTest.wespeaker());
        SherpaFrontEnd nemo = frontEnd(SherpaMetadataTest.nemo());
        assertEquals(80, wespeaker.minimumSampleCount(16000), "half a frame shift, once the input is finished");
        assertEquals(400, nemo.minimumSampleCount(16000), "one whole window");
        // sherpa-onnx: 200 samples at 44.1 kHz are not ready for WeSpeaker, 300 are (the resampler's tail is lost)
        long at44k = wespeaker.minimumSampleCount(44100);
        assertTrue(at44k > 200 && at44k <= 300, "minimum at 44.1 kHz: " + at44k);
        assertEquals(1, wespeaker.frameCount(at44k, 44100));
        assertEquals(0, wespeaker.frameCount(at44k - 1, 44100));
        assertEquals(732, wespeaker.frameCount(117065, 16000));
        assertEquals(730, nemo.frameCount(117065, 16000));
    }

    @Test
    void tooShortInputIsRefusedWithTheMinimum() throws Exception {
        SherpaFrontEnd nemo = frontEnd(SherpaMetadataTest.nemo());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nemo.features(new float[399], 16000));
        assertTrue(e.getMessage().contains("at least 400 samples"), e.getMessage());
        assertEquals(1, nemo.features(new float[400], 16000).length);
    }

    @Test
    void theFeaturesHaveTheFamilysShapeAndTheCallersArrayIsLeftAlone() throws Exception {
        float[] samples = new float[16000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) (0.3 * Math.sin(i * 0.05));
        }
        float[] copy = samples.clone();
        Map<String, String> nemo64 = SherpaMetadataTest.nemo();
        nemo64.put("feat_dim", "64");
        float[][] features = frontEnd(nemo64).features(samples, 22050);
        assertEquals(64, features[0].length);
        assertEquals(frontEnd(nemo64).frameCount(samples.length, 22050), features.length);
        float[][] wespeaker = frontEnd(SherpaMetadataTest.wespeaker()).features(samples, 16000);
        assertEquals(100, wespeaker.length);
        assertEquals(80, wespeaker[0].length);
        assertTrue(java.util.Arrays.equals(copy, samples));
        assertFalse(frontEnd(SherpaMetadataTest.wespeaker()).acceptsRate(767999));
        assertTrue(frontEnd(SherpaMetadataTest.wespeaker()).acceptsRate(44100));
    }
}
