package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.onnx.OnnxWriter.ModelProto;
import dev.speakerembedding.model.onnx.OnnxWriter.NodeProto;
import dev.speakerembedding.model.onnx.OnnxWriter.TensorProto;
import dev.speakerembedding.testing.Npy;
import dev.speakerembedding.testing.SharedConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MODEL_PRECISION=int8: the quantised graph, its fidelity to float32, and its own cache entry. */
class EcapaInt8Test {

    /** The floor for every conformance input: cosine of the int8 embedding to the float32 one. */
    static final double MIN_COSINE = 0.999;

    @TempDir
    Path converted;

    @Test
    void noPairOfProductsCanSaturateTheInt16SumOfCpusWithoutVnni() {
        // vpmaddubsw (AVX2, AVX-512F) adds two u8 x s8 products in int16, saturating beyond +-32767.
        assertTrue(2 * 255 * EcapaOnnxBuilder.INT8_MAX <= Short.MAX_VALUE);
    }

    @Test
    void weightsAreSymmetricPerColumnAndDequantiseWithinHalfAStep() {
        int rows = 300;
        int cols = 7;
        float[] m = new float[rows * cols];
        Random random = new Random(42);
        for (int i = 0; i < m.length; i++) {
            int c = i % cols;
            // Columns of very different ranges: one scale per column keeps the small ones precise.
            m[i] = c == 3 ? 0f : (float) (random.nextGaussian() * Math.pow(10, c - 4));
        }
        EcapaOnnxBuilder.QuantizedMatrix q = EcapaOnnxBuilder.quantizePerColumn(m, rows, cols);
        for (int c = 0; c < cols; c++) {
            float scale = q.scales()[c];
            assertTrue(scale > 0 && Float.isFinite(scale), "scale " + scale);
            int maxQ = 0;
            float maxW = 0;
            for (int r = 0; r < rows; r++) {
                int value = q.values()[r * cols + c];
                assertTrue(value >= -EcapaOnnxBuilder.INT8_MAX && value <= EcapaOnnxBuilder.INT8_MAX,
                        "value " + value);
                maxQ = Math.max(maxQ, Math.abs(value));
                maxW = Math.max(maxW, Math.abs(m[r * cols + c]));
                double error = Math.abs(m[r * cols + c] - value * (double) scale);
                assertTrue(error <= scale / 2 * (1 + 1e-5), "column " + c + " row " + r + ": error " + error
                        + " exceeds half a step " + scale / 2);
            }
            if (c == 3) {
                assertEquals(0, maxQ, "an all-zero column stays zero");
            } else {
                // Symmetric: the column's largest magnitude is +-INT8_MAX (zero point 0), whatever its sign.
                assertEquals(EcapaOnnxBuilder.INT8_MAX, maxQ, "column " + c);
                assertEquals(maxW / EcapaOnnxBuilder.INT8_MAX, scale, maxW * 1e-6);
            }
        }
    }

    @Test
    void everyProductOfTheInt8GraphIsQuantisedAndTheFloat32GraphIsUnchanged() throws ModelFormatException {
        Path small = Npy.conformanceDir().resolve("small");
        EcapaHyperparams params = EcapaHyperparams.read(small.resolve(SpeechbrainEcapa.HYPERPARAMS_FILE));
        EcapaWeights weights = EcapaWeights.read(small.resolve(SpeechbrainEcapa.CHECKPOINT_FILE), params);
        ModelProto int8 = EcapaOnnxBuilder.build(params, weights, Map.of(), ModelPrecision.INT8);
        ModelProto float32 = EcapaOnnxBuilder.build(params, weights, Map.of(), ModelPrecision.FLOAT32);

        List<String> int8Ops = int8.graph().nodes().stream().map(NodeProto::opType).toList();
        assertFalse(int8Ops.contains("Gemm") || int8Ops.contains("MatMul"), int8Ops.toString());
        long gemms = float32.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).count();
        long quantised = int8.graph().nodes().stream().filter(n -> n.opType().equals("DynamicQuantizeMatMul")
                && n.domain().equals(OnnxWriter.MICROSOFT_DOMAIN)).count();
        assertTrue(gemms > 30, "float32 Gemms: " + gemms);
        assertEquals(gemms, quantised, "each float32 Gemm is one int8 product");
        assertTrue(float32.opsetImports().size() == 1, "the float32 graph imports no contrib domain");

        List<TensorProto> int8Weights = int8.graph().initializers().stream()
                .filter(t -> t.dataType() == OnnxWriter.INT8).toList();
        assertEquals(quantised, int8Weights.size());
        long floatWeightsInt8 = int8.graph().initializers().stream().filter(t -> t.floats() != null)
                .mapToLong(t -> t.floats().length).sum();
        long floatWeightsFloat32 = float32.graph().initializers().stream().filter(t -> t.floats() != null)
                .mapToLong(t -> t.floats().length).sum();
        long int8Values = int8Weights.stream().mapToLong(t -> t.bytes().length).sum();
        // What remains float32: biases, batch norms, one scale per output channel.
        assertTrue(floatWeightsInt8 < floatWeightsFloat32 / 5, floatWeightsInt8 + " of " + floatWeightsFloat32);
        assertEquals(floatWeightsFloat32 - int8Values, floatWeightsInt8
                - int8Weights.stream().mapToLong(t -> t.dims()[1]).sum(), "every matrix value moved to int8");
    }

    @Test
    void int8EmbeddingsOfTheSmallModelAreWithinCosine0999OfFloat32OnEveryConformanceInput()
            throws ModelFormatException, IOException {
        assertCloseOnEveryInput(Npy.conformanceDir().resolve("small"), Npy.conformanceDir().resolve("expected/small"));
    }

    @Test
    void int8EmbeddingsOfTheFullModelAreWithinCosine0999OfFloat32OnEveryConformanceInput()
            throws ModelFormatException, IOException {
        assertCloseOnEveryInput(SharedConformance.require("full"), SharedConformance.require("expected/full"));
    }

    private void assertCloseOnEveryInput(Path snapshot, Path expected) throws ModelFormatException, IOException {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(expected)) {
            inputs = files.filter(p -> p.getFileName().toString().endsWith(".fbank_norm.npy")).sorted().toList();
        }
        assertTrue(inputs.size() >= 13, "conformance inputs: " + inputs.size());
        double worst = 1;
        StringBuilder failures = new StringBuilder();
        try (EcapaModel float32 = EcapaModel.load(snapshot, converted, ModelRuntimeOptions.defaults());
             EcapaModel int8 = EcapaModel.load(snapshot, converted, ModelRuntimeOptions.defaults(),
                     ModelPrecision.INT8)) {
            assertEquals(ModelPrecision.INT8, int8.precision());
            for (Path input : inputs) {
                Npy feats = Npy.read(input);
                float[] a = float32.embed(feats.data(), feats.shape()[0]);
                float[] b = int8.embed(feats.data(), feats.shape()[0]);
                double cosine = Npy.cosine(a, b);
                System.out.printf("int8 vs float32 %-40s frames %4d cosine %.6f%n", input.getFileName(),
                        feats.shape()[0], cosine);
                worst = Math.min(worst, cosine);
                if (!Npy.cosineAtLeast(cosine, MIN_COSINE)) {
                    failures.append(input.getFileName()).append(": cosine ").append(cosine).append('\n');
                }
            }
        }
        System.out.printf("int8 vs float32 %s: worst cosine %.6f over %d inputs%n", snapshot, worst, inputs.size());
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void theInt8GraphIsCachedBesideTheFloat32OneAndBothAreReused() throws ModelFormatException, IOException {
        Path small = Npy.conformanceDir().resolve("small");
        var float32 = EcapaModel.convert(small, converted, ModelPrecision.FLOAT32);
        var int8 = EcapaModel.convert(small, converted, ModelPrecision.INT8);
        assertTrue(float32.convertedNow() && int8.convertedNow());
        assertEquals(converted.resolve(EcapaModelTest.SMALL_SHA256 + "-ecapa-c" + EcapaModel.CONVERTER_VERSION),
                float32.onnxPath().getParent(), "the float32 entry keeps the key it had before int8 existed");
        assertEquals(converted.resolve(EcapaModelTest.SMALL_SHA256 + "-ecapa-c" + EcapaModel.CONVERTER_VERSION
                + "-int8"), int8.onnxPath().getParent());
        assertNotEquals(Files.size(float32.onnxPath()), Files.size(int8.onnxPath()));

        var float32Again = EcapaModel.convert(small, converted, ModelPrecision.FLOAT32);
        var int8Again = EcapaModel.convert(small, converted, ModelPrecision.INT8);
        assertFalse(float32Again.convertedNow() || int8Again.convertedNow(), "both entries are reused");
        assertEquals(float32.onnxPath(), float32Again.onnxPath());
        assertEquals(int8.onnxPath(), int8Again.onnxPath());
        try (Stream<Path> entries = Files.list(converted)) {
            assertEquals(2, entries.count());
        }
        try (EcapaModel model = EcapaModel.load(small, converted, ModelRuntimeOptions.defaults(),
                ModelPrecision.INT8)) {
            assertFalse(model.conversion().convertedNow());
            assertEquals(int8.onnxPath(), model.conversion().onnxPath());
        }
    }
}
