package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ConvertedModelStore;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.testing.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversion cache, input checks and lifecycle of {@link EcapaModel} (small model). */
class EcapaModelTest {

    static final Path SMALL = Npy.conformanceDir().resolve("small");
    static final String SMALL_SHA256 = "655754b9fd563c0bf8559d3ccca45b2926a2abfa10076469bc922976c214f9ec";

    @TempDir
    Path converted;

    @Test
    void conversionIsKeyedByCheckpointHashAndConverterVersion() throws ModelFormatException {
        ConversionInfo info = EcapaModel.convert(SMALL, converted);
        assertEquals(converted.resolve(SMALL_SHA256 + "-ecapa-c" + EcapaModel.CONVERTER_VERSION + "/model.onnx"),
                info.onnxPath());
        assertEquals(SMALL_SHA256, info.checkpointSha256());
        assertTrue(info.convertedNow());
    }

    @Test
    void aLoadGivenVerifiedFilesReportsThemAndKeysTheConversionByTheirCheckpointHashWithoutHashing()
            throws ModelFormatException, IOException {
        // Not the checkpoint's real hash: a load that hashed the file would find the real one.
        String claimed = "ab".repeat(32);
        List<SourceFile> verified = List.of(new SourceFile(SpeechbrainEcapa.HYPERPARAMS_FILE, 7, "cd".repeat(32)),
                new SourceFile(SpeechbrainEcapa.CHECKPOINT_FILE, 11, claimed));
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults(), verified)) {
            assertEquals(verified, model.sourceFiles());
            assertEquals(claimed, model.conversion().checkpointSha256());
            assertEquals(converted.resolve(claimed + "-ecapa-c" + EcapaModel.CONVERTER_VERSION),
                    model.conversion().onnxPath().getParent());
            assertEquals(Files.size(model.conversion().onnxPath()), model.conversion().onnxSizeBytes());
        }
    }

    @Test
    void aLoadWithoutVerifiedFilesHashesTheFormatsFilesItFinds() throws ModelFormatException, IOException {
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults())) {
            List<String> names = model.sourceFiles().stream().map(SourceFile::name).toList();
            assertTrue(names.containsAll(List.of(SpeechbrainEcapa.HYPERPARAMS_FILE, SpeechbrainEcapa.CHECKPOINT_FILE,
                    SpeechbrainEcapa.NORMALIZATION_FILE)), names.toString());
            for (SourceFile file : model.sourceFiles()) {
                assertEquals(Files.size(SMALL.resolve(file.name())), file.sizeBytes(), file.name());
                assertEquals(FileDigests.sha256(SMALL.resolve(file.name())), file.sha256(), file.name());
            }
            assertEquals(SMALL_SHA256, model.conversion().checkpointSha256());
        }
    }

    @Test
    void secondConversionReusesTheFileWithoutRewritingIt() throws ModelFormatException, IOException {
        ConversionInfo first = EcapaModel.convert(SMALL, converted);
        FileTime written = Files.getLastModifiedTime(first.onnxPath());
        Object fileKey = Files.readAttributes(first.onnxPath(), java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey();
        ConversionInfo second = EcapaModel.convert(SMALL, converted);
        assertFalse(second.convertedNow());
        assertEquals(0, second.conversionMillis());
        assertEquals(first.onnxPath(), second.onnxPath());
        assertEquals(written, Files.getLastModifiedTime(second.onnxPath()));
        assertEquals(fileKey, Files.readAttributes(second.onnxPath(),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey());
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults())) {
            assertFalse(model.conversion().convertedNow());
        }
    }

    @Test
    void corruptedModelIsConvertedAgain() throws ModelFormatException, IOException {
        Path onnx = EcapaModel.convert(SMALL, converted).onnxPath();
        byte[] bytes = Files.readAllBytes(onnx);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(onnx, bytes);
        assertTrue(EcapaModel.convert(SMALL, converted).convertedNow());
        assertOnlyFinalFiles(onnx.getParent());
    }

    @Test
    void truncatedModelIsConvertedAgain() throws ModelFormatException, IOException {
        Path onnx = EcapaModel.convert(SMALL, converted).onnxPath();
        byte[] bytes = Files.readAllBytes(onnx);
        Files.write(onnx, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults())) {
            assertTrue(model.conversion().convertedNow());
        }
        assertArrayEquals(bytes, Files.readAllBytes(onnx), "conversion is deterministic");
    }

    @Test
    void modelWithoutItsSidecarIsNotTrusted() throws ModelFormatException, IOException {
        Path onnx = EcapaModel.convert(SMALL, converted).onnxPath();
        Files.delete(onnx.resolveSibling(ConvertedModelStore.SIDECAR_FILE));
        assertTrue(EcapaModel.convert(SMALL, converted).convertedNow());
        assertFalse(EcapaModel.convert(SMALL, converted).convertedNow());
    }

    @Test
    void concurrentConversionsWriteOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ConversionInfo>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> EcapaModel.convert(SMALL, converted)));
            }
            int written = 0;
            for (Future<ConversionInfo> r : results) {
                written += r.get().convertedNow() ? 1 : 0;
            }
            assertEquals(1, written);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void missingCheckpointIsAModelFormatError() throws IOException {
        Path snapshot = converted.resolve("snapshot");
        Files.createDirectories(snapshot);
        Files.copy(SMALL.resolve("hyperparams.yaml"), snapshot.resolve("hyperparams.yaml"));
        Files.copy(SMALL.resolve("mean_var_norm_emb.ckpt"), snapshot.resolve("mean_var_norm_emb.ckpt"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> EcapaModel.load(snapshot, converted.resolve("cache"), ModelRuntimeOptions.defaults()));
        assertTrue(e.getMessage().startsWith("embedding_model.ckpt: "), e.getMessage());
    }

    @Test
    void inputsAreChecked() throws ModelFormatException {
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults())) {
            IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                    () -> model.embed(new float[4 * 80], 4));
            assertTrue(tooShort.getMessage().contains("at least 5 frames"), tooShort.getMessage());
            assertEquals(32, model.embed(new float[5 * 80], 5).length);
            assertThrows(IllegalArgumentException.class, () -> model.embed(new float[10 * 80 - 1], 10));
            assertThrows(IllegalArgumentException.class, () -> model.applyMeanVarNorm(new float[31]));
        }
    }

    @Test
    void threadsShareOneSessionAndGetTheSameAnswer() throws Exception {
        Npy feats = Npy.read(Npy.conformanceDir().resolve("expected/small/noise_3s.fbank_norm.npy"));
        float[] original = feats.data().clone();
        try (EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults())) {
            float[] expected = model.embed(feats.data(), feats.shape()[0]);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    results.add(pool.submit(() -> model.embed(feats.data(), feats.shape()[0])));
                }
                for (Future<float[]> r : results) {
                    assertArrayEquals(expected, r.get());
                }
            } finally {
                pool.shutdownNow();
            }
            assertArrayEquals(original, feats.data(), "input left unchanged");
        }
    }

    @Test
    void closedModelRefusesWork() throws ModelFormatException {
        EcapaModel model = EcapaModel.load(SMALL, converted, ModelRuntimeOptions.defaults());
        model.close();
        model.close();
        assertThrows(IllegalStateException.class, () -> model.embed(new float[5 * 80], 5));
    }

    private static void assertOnlyFinalFiles(Path entry) throws IOException {
        try (Stream<Path> files = Files.list(entry)) {
            assertEquals(List.of(".lock", ConvertedModelStore.MODEL_FILE, ConvertedModelStore.SIDECAR_FILE),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
