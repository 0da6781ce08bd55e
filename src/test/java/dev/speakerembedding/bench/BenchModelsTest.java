package dev.speakerembedding.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.sherpa.SherpaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's random-weight models ({@link BenchModels}) load as sherpa-onnx models of their family with the
 * stated dimension, embed a short clip to finite values, and have the published sizes (the benchmark itself is not
 * part of the build).
 */
class BenchModelsTest {

    @TempDir
    Path dir;

    @Test
    void everyFamilyLoadsAndEmbedsWithItsPublishedSize() throws Exception {
        // {parameters in millions, low, high; GMACs per 3 s, low, high}
        check(BenchModels.wespeakerResnet34(), "wespeaker", 256, 6.3, 7.0, 5.0, 9.0);
        check(BenchModels.campplus(), "3d-speaker", 192, 6.5, 7.8, 1.0, 2.5);
        check(BenchModels.titanetSmall(), "nemo", 192, 5.5, 7.0, 0.7, 2.0);
    }

    private void check(BenchModels.Built built, String family, int dimension, double minMillions,
                       double maxMillions, double minGmacs, double maxGmacs) throws Exception {
        double millions = built.parameters() / 1e6;
        assertTrue(millions >= minMillions && millions <= maxMillions, family + ": " + millions + "M parameters");
        assertTrue(built.gmacsPer3s() >= minGmacs && built.gmacsPer3s() <= maxGmacs,
                family + ": " + built.gmacsPer3s() + " GMACs per 3 s");
        Path file = dir.resolve(family + ".onnx");
        Files.write(file, built.onnx());
        try (SherpaModel model = SherpaModel.load(file, new SourceFile(file.getFileName().toString(),
                Files.size(file), FileDigests.sha256(file)), null, ModelRuntimeOptions.defaults()
                .withIntraOpThreads(1))) {
            assertEquals(family, model.family());
            assertEquals(dimension, model.dimension());
            // 0.3 s: a few dozen frames, enough for the strided layers
            float[] tone = new float[4800];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (float) (Math.sin(2 * Math.PI * 220 * i / 16000.0) * 0.3 + Math.sin(i * 1.7) * 0.01);
            }
            float[] embedding = model.embed(model.features(tone, 16000));
            assertEquals(dimension, embedding.length);
            for (float v : embedding) {
                assertTrue(Float.isFinite(v), family + ": finite embedding");
            }
        }
    }
}
