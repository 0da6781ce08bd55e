package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.testing.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchCheckpointTest {

    static final Path SMALL = Npy.conformanceDir().resolve("small");

    @TempDir
    Path temp;

    static EcapaHyperparams smallParams() throws ModelFormatException {
        return EcapaHyperparams.read(SMALL.resolve("hyperparams.yaml"));
    }

    static Map<String, TorchTensor> smallStateDict() throws ModelFormatException {
        return TorchCheckpoint.readStateDict(SMALL.resolve("embedding_model.ckpt"));
    }

    @Test
    void smallCheckpointHasExactlyTheArchitecturesKeysAndShapes() throws ModelFormatException {
        Map<String, TorchTensor> state = smallStateDict();
        Map<String, int[]> expected = EcapaWeights.expectedShapes(smallParams());
        long counters = state.keySet().stream().filter(k -> k.endsWith(".num_batches_tracked")).count();
        assertEquals(expected.size() + counters, state.size());
        expected.forEach((key, shape) -> assertArrayEquals(shape, state.get(key).shape(), key));
        assertEquals(168840, expected.entrySet().stream()
                .filter(e -> !e.getKey().contains("running_"))
                .mapToLong(e -> Arrays.stream(e.getValue()).asLongStream().reduce(1, (a, b) -> a * b)).sum(),
                "parameter count in MANIFEST.json");
        TorchTensor counter = state.get("blocks.0.norm.norm.num_batches_tracked");
        assertEquals(TorchTensor.DataType.INT64, counter.dataType());
        assertEquals(0, counter.rank());
        assertArrayEquals(new int[]{64, 80, 5}, state.get("blocks.0.conv.conv.weight").shape());
        EcapaWeights.read(SMALL.resolve("embedding_model.ckpt"), smallParams());
    }

    @Test
    void tensorsRoundTripThroughATorchStyleZip() throws IOException, ModelFormatException {
        Map<String, TorchTensor> state = smallStateDict();
        Path copy = temp.resolve("copy.ckpt");
        TorchZipWriter.write(copy, state);
        Map<String, TorchTensor> reread = TorchCheckpoint.readStateDict(copy);
        assertEquals(state.keySet(), reread.keySet());
        for (String key : state.keySet()) {
            TorchTensor a = state.get(key);
            TorchTensor b = reread.get(key);
            assertArrayEquals(a.shape(), b.shape(), key);
            if (a.dataType() == TorchTensor.DataType.FLOAT32) {
                assertArrayEquals(a.data(), b.data(), key);
            } else {
                assertArrayEquals(a.longData(), b.longData(), key);
            }
        }
    }

    @Test
    void renamedKeyIsReportedByName() throws IOException, ModelFormatException {
        Map<String, TorchTensor> state = new LinkedHashMap<>();
        smallStateDict().forEach((k, v) -> state.put(k.equals("blocks.2.tdnn2.conv.conv.bias")
                ? "blocks.2.tdnn2.conv.conv.bias_renamed" : k, v));
        Path file = temp.resolve("embedding_model.ckpt");
        TorchZipWriter.write(file, state);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> EcapaWeights.read(file, smallParams()));
        assertEquals("embedding_model.ckpt: missing key blocks.2.tdnn2.conv.conv.bias (expected shape [64])",
                e.getMessage());
    }

    @Test
    void unexpectedKeyIsReportedByName() throws IOException, ModelFormatException {
        Map<String, TorchTensor> state = new LinkedHashMap<>(smallStateDict());
        state.put("blocks.1.shortcut.conv.weight", TorchTensor.ofFloats(new int[]{64, 64, 1}, new float[64 * 64]));
        Path file = temp.resolve("embedding_model.ckpt");
        TorchZipWriter.write(file, state);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> EcapaWeights.read(file, smallParams()));
        assertTrue(e.getMessage().startsWith("embedding_model.ckpt: unexpected key blocks.1.shortcut.conv.weight"),
                e.getMessage());
    }

    @Test
    void wrongShapeIsReportedWithBothShapes() throws IOException, ModelFormatException {
        Map<String, TorchTensor> state = new LinkedHashMap<>(smallStateDict());
        String key = "blocks.1.res2net_block.blocks.0.conv.conv.weight";
        state.put(key, TorchTensor.ofFloats(new int[]{4, 4, 3}, new float[48]));
        Path file = temp.resolve("embedding_model.ckpt");
        TorchZipWriter.write(file, state);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> EcapaWeights.read(file, smallParams()));
        assertEquals("embedding_model.ckpt: key " + key + " has shape [4,4,3], expected [8,8,3]", e.getMessage());
    }

    @Test
    void stridedViewsAreGatheredInLogicalOrder() throws IOException, ModelFormatException {
        float[] storage = new float[20];
        for (int i = 0; i < storage.length; i++) {
            storage[i] = i;
        }
        Path file = temp.resolve("view.ckpt");
        Map<String, TorchZipWriter.View> views = new LinkedHashMap<>();
        // The transpose of a [3,4] matrix that starts at element 2: element (r, c) sits at 2 + c * 4 + r.
        views.put("t", new TorchZipWriter.View(2, new int[]{4, 3}, new long[]{1, 4}));
        views.put("row", new TorchZipWriter.View(16, new int[]{4}, new long[]{1}));
        views.put("scalar", new TorchZipWriter.View(19, new int[]{}, new long[]{}));
        TorchZipWriter.writeViews(file, storage, views);
        Map<String, Object> read = TorchCheckpoint.read(file);
        TorchTensor t = (TorchTensor) read.get("t");
        assertArrayEquals(new int[]{4, 3}, t.shape());
        assertArrayEquals(new float[]{2, 6, 10, 3, 7, 11, 4, 8, 12, 5, 9, 13}, t.data());
        assertArrayEquals(new float[]{16, 17, 18, 19}, ((TorchTensor) read.get("row")).data());
        assertArrayEquals(new float[]{19}, ((TorchTensor) read.get("scalar")).data());
    }

    @Test
    void viewPastTheEndOfItsStorageIsRefused() throws IOException {
        Path file = temp.resolve("view.ckpt");
        TorchZipWriter.writeViews(file, new float[6],
                Map.of("t", new TorchZipWriter.View(1, new int[]{2, 3}, new long[]{3, 1})));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains("key t reads element 6 of a storage with 6"), e.getMessage());
    }

    @Test
    void truncatedCheckpointIsAModelFormatError() throws IOException {
        byte[] whole = Files.readAllBytes(SMALL.resolve("embedding_model.ckpt"));
        Path file = temp.resolve("embedding_model.ckpt");
        Files.write(file, Arrays.copyOf(whole, whole.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().startsWith("embedding_model.ckpt: "), e.getMessage());
    }

    @Test
    void garbageIsAModelFormatError() throws IOException {
        Path file = temp.resolve("embedding_model.ckpt");
        Files.writeString(file, "this is not a checkpoint\n".repeat(100));
        assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
        Files.delete(file);
        assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
    }

    @Test
    void globalsOutsideTheAllowListAreRefused() throws IOException {
        TorchZipWriter.Pickle pickle = new TorchZipWriter.Pickle();
        pickle.op(0x80).op(2).global("os", "system").string("echo owned").op(0x85).op('R').op('.');
        Path file = temp.resolve("evil.ckpt");
        TorchZipWriter.writeRawPickle(file, pickle.bytes());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains("refusing global os.system"), e.getMessage());
    }

    @Test
    void unknownOpcodesAreRefused() throws IOException {
        Path file = temp.resolve("odd.ckpt");
        // INST ('i') builds an object from a class named inline; no state dict uses it.
        TorchZipWriter.writeRawPickle(file, "\u0080\u0002i__main__\nX\n.".getBytes(StandardCharsets.ISO_8859_1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains("unsupported pickle opcode 0x69"), e.getMessage());
    }

    @Test
    void meanVarNormStatisticsAreADictOfTensorsAndCounters() throws ModelFormatException {
        Map<String, Object> stats = TorchCheckpoint.read(SMALL.resolve("mean_var_norm_emb.ckpt"));
        assertEquals(3L, stats.get("count"));
        assertArrayEquals(new int[]{32}, ((TorchTensor) stats.get("glob_mean")).shape());
        TorchTensor std = (TorchTensor) stats.get("glob_std");
        assertArrayEquals(new float[]{1f}, std.data());
        assertEquals(Map.of(), stats.get("spk_dict_mean"));
    }
}
