package dev.speakerembedding.model.sherpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.onnx.GraphBuilder;
import dev.speakerembedding.model.onnx.OnnxWriter;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading sherpa-onnx model files: every bad model is a {@link ModelFormatException} at load that names the file,
 * what is wrong and the remedy (sherpa-onnx itself crashes, exits, or reads past its buffer). The models are made here
 * with the project's ONNX writer: x [N, T, bins] -> MatMul -> mean over time -> [N, dim].
 */
class SherpaModelTest {

    static final Map<String, String> WESPEAKER = Map.of("framework", "wespeaker", "output_dim", "16",
            "sample_rate", "16000", "normalize_samples", "0", "language", "English");

    @TempDir
    Path dir;

    /** A one-input model with {@code bins} features per frame and a {@code dim}-value output (-1: not fixed). */
    Path model(String name, int bins, long dim, Map<String, String> metadata) throws Exception {
        GraphBuilder g = new GraphBuilder();
        String x = g.input("x", List.of(Dim.symbolic("N"), Dim.symbolic("T"), Dim.of(bins)));
        int width = dim > 0 ? (int) dim : 16;
        float[] w = new float[bins * width];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i * 0.37) * 0.1f;
        }
        String h = g.op("MatMul", x, g.weight("W", w, bins, width));
        String mean = g.op("ReduceMean", h, g.longs(1), Attribute.of("keepdims", 0L));
        g.output(mean, "embedding", List.of(Dim.symbolic("N"), dim > 0 ? Dim.of(dim) : Dim.symbolic("D")));
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            OnnxWriter.write(g.build("test", "SherpaModelTest", "1", metadata), out);
        }
        return file;
    }

    static SherpaModel load(Path file, SherpaFamily configured) throws Exception {
        return SherpaModel.load(file, new SourceFile(file.getFileName().toString(), Files.size(file),
                FileDigests.sha256(file)), configured, ModelRuntimeOptions.defaults().withIntraOpThreads(1));
    }

    static Map<String, String> with(String key, String value) {
        Map<String, String> m = new HashMap<>(WESPEAKER);
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        return m;
    }

    String loadFails(Path file, SherpaFamily configured) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(file, configured).close());
        assertTrue(e.getMessage().startsWith(file.getFileName().toString() + ":"), "names the file: "
                + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aGoodModelLoadsAndEmbeds() throws Exception {
        try (SherpaModel model = load(model("good.onnx", 80, 16, WESPEAKER), null)) {
            assertEquals("wespeaker", model.family());
            assertEquals("sherpa-onnx", model.format());
            assertEquals(16, model.dimension());
            assertEquals(16000, model.sampleRateHz());
            assertEquals("0", model.metadata().get("normalize_samples"));
            assertEquals("32768.0", model.frontEnd().get("sample_scale"));
            assertEquals("false", model.frontEnd().get("snip_edges"));
            float[] tone = new float[16000];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (float) Math.sin(2 * Math.PI * 440 * i / 16000.0) * 0.3f;
            }
            float[] embedding = model.embed(model.features(tone, 16000));
            assertEquals(16, embedding.length);
            for (float v : embedding) {
                assertTrue(Float.isFinite(v));
            }
            assertEquals(80, model.minimumSamples(16000), "half a frame shift at 16 kHz");
            assertTrue(model.identityFileSha256().orElseThrow().matches("[0-9a-f]{64}"));
        }
    }

    @Test
    void noMetadataNeedsModelFamily() throws Exception {
        Path file = model("plain.onnx", 80, 16, Map.of());
        String message = loadFails(file, null);
        assertTrue(message.contains("no sherpa-onnx metadata") && message.contains("Set MODEL_FAMILY"), message);
        try (SherpaModel model = load(file, SherpaFamily.WESPEAKER)) {
            assertEquals(16, model.dimension(), "from the output's shape");
            assertTrue(model.frontEnd().get("model_family_defaults").contains("sample_rate"));
        }
    }

    @Test
    void unknownFrameworkIsNamed() throws Exception {
        String message = loadFails(model("x.onnx", 80, 16, with("framework", "kaldi")), null);
        assertTrue(message.contains("'kaldi'") && message.contains("wespeaker, 3d-speaker, nemo"), message);
    }

    @Test
    void missingOrInvalidKeysAreNamed() throws Exception {
        String missing = loadFails(model("a.onnx", 80, 16, with("sample_rate", null)), null);
        assertTrue(missing.contains("'sample_rate' is missing"), missing);
        String invalid = loadFails(model("b.onnx", 80, 16, with("output_dim", "abc")), null);
        assertTrue(invalid.contains("'output_dim' is 'abc'"), invalid);
        String norm = loadFails(model("c.onnx", 80, 16, with("feature_normalize_type", "per_feature")), null);
        assertTrue(norm.contains("feature_normalize_type"), norm);
    }

    @Test
    void outputDimMustAgreeWithTheOutput() throws Exception {
        String message = loadFails(model("dim.onnx", 80, 16, with("output_dim", "192")), null);
        assertTrue(message.contains("'output_dim' is 192") && message.contains("correct output_dim to 16"), message);
    }

    @Test
    void anUnfixedOutputTakesOutputDim() throws Exception {
        try (SherpaModel model = load(model("dyn.onnx", 80, -1, WESPEAKER), null)) {
            assertEquals(16, model.dimension());
        }
    }

    @Test
    void wrongInputShapeIsNamed() throws Exception {
        String message = loadFails(model("bins.onnx", 64, 16, WESPEAKER), null);
        assertTrue(message.contains("input 'x' is float [?, ?, 64]") && message.contains("[N, T, 80]"), message);
    }

    @Test
    void aNemoFileNeedsItsLengthInput() throws Exception {
        Map<String, String> nemo = Map.of("framework", "nemo", "output_dim", "16", "feat_dim", "80",
                "sample_rate", "16000", "window_size_ms", "25", "window_stride_ms", "10", "language", "English");
        String message = loadFails(model("nemo.onnx", 80, 16, nemo), null);
        assertTrue(message.contains("has 1 inputs [x]") && message.contains("int64 length"), message);
    }

    @Test
    void theFamilyLoadsTheNamedFileAndSaysWhenItIsNotAModel() throws Exception {
        model("good.onnx", 80, 16, WESPEAKER);
        Files.writeString(dir.resolve("broken.onnx"), "not a protobuf");
        ModelLoadSettings settings = new ModelLoadSettings(dir.resolve(".onnx"), ModelRuntimeOptions.defaults());
        try (SpeakerModel model = new SherpaOnnxFamily("good.onnx", null).load(dir, List.of(), settings)) {
            assertEquals(16, model.dimension());
            assertEquals(List.of("good.onnx"), model.sourceFiles().stream().map(SourceFile::name).toList());
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new SherpaOnnxFamily("broken.onnx", null).load(dir, List.of(), settings));
        assertTrue(e.getMessage().contains("ONNX Runtime cannot load it"), e.getMessage());
    }

    /** int8 is a way of converting a checkpoint; a published ONNX file is served as it is, so int8 is refused. */
    @Test
    void int8IsRefusedForAnOnnxFileServedAsPublished() throws Exception {
        model("good.onnx", 80, 16, WESPEAKER);
        ModelLoadSettings int8 = new ModelLoadSettings(dir.resolve(".onnx"), ModelRuntimeOptions.defaults(),
                ModelPrecision.INT8);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new SherpaOnnxFamily("good.onnx", null).load(dir, List.of(), int8));
        assertTrue(e.getMessage().contains("MODEL_PRECISION=int8 applies to converted speechbrain checkpoints only")
                && e.getMessage().contains("good.onnx") && e.getMessage().contains("MODEL_PRECISION=float32"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve(".onnx")), "nothing was converted");
    }
}
