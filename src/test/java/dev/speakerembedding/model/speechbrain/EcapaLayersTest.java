package dev.speakerembedding.model.speechbrain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.testing.Npy;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every block of the small model against speechbrain's activations for chirp_1s: locates a divergence. */
class EcapaLayersTest {

    /** Relative to the layer's largest magnitude: float32 summation-order noise, far below any real bug. */
    static final double RELATIVE_TOLERANCE = 2e-6;

    @Test
    void everyLayerMatchesSpeechbrain() throws IOException, ModelFormatException, OrtException {
        Path small = Npy.conformanceDir().resolve("small");
        EcapaHyperparams params = EcapaHyperparams.read(small.resolve("hyperparams.yaml"));
        EcapaWeights weights = EcapaWeights.read(small.resolve("embedding_model.ckpt"), params);
        ByteArrayOutputStream onnx = new ByteArrayOutputStream();
        OnnxWriter.write(EcapaOnnxBuilder.buildWithLayerOutputs(params, weights), onnx);

        Path expectedDir = Npy.conformanceDir().resolve("expected/small/layers_chirp_1s");
        Npy feats = Npy.read(Npy.conformanceDir().resolve("expected/small/chirp_1s.fbank_norm.npy"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        StringBuilder failures = new StringBuilder();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(onnx.toByteArray(), options);
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(feats.data()),
                     new long[]{1, feats.shape()[0], feats.shape()[1]});
             OrtSession.Result result = session.run(Map.of(EcapaOnnxBuilder.INPUT, input))) {
            for (String layer : List.of("blocks.0", "blocks.1", "blocks.2", "blocks.3", "mfa", "asp", "asp_bn",
                    "fc")) {
                Npy expected = Npy.read(expectedDir.resolve(layer + ".npy"));
                OnnxTensor tensor = (OnnxTensor) result.get(layer).orElseThrow();
                long[] shape = tensor.getInfo().getShape();
                assertArrayEquals(new long[]{1, expected.shape()[0], expected.shape()[1]}, shape, layer);
                float[] actual = new float[expected.data().length];
                tensor.getFloatBuffer().get(actual);
                double diff = Npy.maxAbsDiff(expected.data(), actual);
                System.out.printf("%-9s max|expected| %8.3f  max|diff| %.3e%n", layer, scale(expected.data()), diff);
                if (!layerMatches(expected.data(), actual)) {
                    failures.append(layer).append(": ").append(diff).append('\n');
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void aLayerHoldingNaNOrInfinityDoesNotMatch() {
        float[] expected = {0.5f, -2f, 3f};
        assertTrue(layerMatches(expected, new float[]{0.5f, -2f, 3f}));
        assertFalse(layerMatches(expected, new float[]{0.5f, Float.NaN, 3f}));
        assertFalse(layerMatches(expected, new float[]{0.5f, -2f, Float.POSITIVE_INFINITY}));
        assertFalse(layerMatches(new float[]{0.5f, Float.NaN, 3f}, new float[]{0.5f, Float.NaN, 3f}),
                "a NaN in the reference is a broken reference, never a match");
    }

    /** Within {@link #RELATIVE_TOLERANCE} of the layer's largest magnitude (at least 1); false on NaN or infinity. */
    static boolean layerMatches(float[] expected, float[] actual) {
        return Npy.withinTolerance(Npy.maxAbsDiff(expected, actual), RELATIVE_TOLERANCE * Math.max(scale(expected), 1));
    }

    private static double scale(float[] values) {
        double scale = 0;
        for (float v : values) {
            scale = Math.max(scale, Math.abs(v));
        }
        return scale;
    }
}
