package dev.speakerembedding.model;

import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a model over every {@code <stem>.fbank_norm.npy} of an expected-output directory and compares. */
final class ConformanceCheck {

    private static final String FEATURES = ".fbank_norm.npy";

    /** The two outputs compared for each input; a seam so the check itself can be tested on broken output. */
    interface Embedder {
        float[] embed(float[] features, int frames);

        float[] applyMeanVarNorm(float[] embedding);
    }

    private ConformanceCheck() {
    }

    static void assertAllInputsMatch(EcapaModel model, Path expectedDir, double maxAbs, double minCosine)
            throws IOException {
        assertAllInputsMatch(new Embedder() {
            @Override
            public float[] embed(float[] features, int frames) {
                return model.embed(features, frames);
            }

            @Override
            public float[] applyMeanVarNorm(float[] embedding) {
                return model.applyMeanVarNorm(embedding);
            }
        }, expectedDir, maxAbs, minCosine);
    }

    static void assertAllInputsMatch(Embedder model, Path expectedDir, double maxAbs, double minCosine)
            throws IOException {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(expectedDir)) {
            inputs = files.filter(p -> p.getFileName().toString().endsWith(FEATURES)).sorted().toList();
        }
        assertTrue(inputs.size() >= 13, "conformance inputs in " + expectedDir + ": " + inputs.size());
        double worstAbs = 0;
        double worstCosine = 1;
        StringBuilder failures = new StringBuilder();
        for (Path features : inputs) {
            String stem = features.getFileName().toString().replace(FEATURES, "");
            Npy feats = Npy.read(features);
            float[] raw = model.embed(feats.data(), feats.shape()[0]);
            float[] normalized = model.applyMeanVarNorm(raw);
            for (String kind : List.of("embedding", "embedding_normalize_true")) {
                float[] expected = Npy.read(expectedDir.resolve(stem + "." + kind + ".npy")).data();
                float[] actual = kind.equals("embedding") ? raw : normalized;
                double abs = Npy.maxAbsDiff(expected, actual);
                double cosine = Npy.cosine(expected, actual);
                System.out.printf("%-34s %-25s frames %4d  max|diff| %.3e  cosine %.9f%n", stem, kind,
                        feats.shape()[0], abs, cosine);
                worstAbs = Math.max(worstAbs, abs);
                worstCosine = Math.min(worstCosine, cosine);
                if (!Npy.withinTolerance(abs, maxAbs) || !Npy.cosineAtLeast(cosine, minCosine)) {
                    failures.append(stem).append(' ').append(kind).append(": max abs ").append(abs)
                            .append(", cosine ").append(cosine).append('\n');
                }
            }
        }
        System.out.printf("%s: worst max|diff| %.3e, worst cosine %.9f over %d inputs%n", expectedDir, worstAbs,
                worstCosine, inputs.size());
        assertTrue(failures.isEmpty(), failures.toString());
    }
}
