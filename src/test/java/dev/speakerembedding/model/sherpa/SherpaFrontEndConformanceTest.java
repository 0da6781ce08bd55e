package dev.speakerembedding.model.sherpa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.speakerembedding.audio.ChannelAverage;
import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.features.KaldiFbank;
import dev.speakerembedding.features.KaldiFbankOptions;
import dev.speakerembedding.features.KaldiFbankOptions.MelScale;
import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import dev.speakerembedding.model.sherpa.SherpaMetadata.FeatureNormalization;
import dev.speakerembedding.testing.Npy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The front end against the features sherpa-onnx 1.13.8's native extractor feeds to ONNX Runtime, dumped with probe
 * models by {@code src/test/sherpa/make_references.py} (conformance/sherpa/references.json lists the cases: three
 * families, 16 kHz, 8 kHz, 22.05 kHz float and 44.1 kHz stereo input, an 8 kHz model, a 64-bin NeMo model with the
 * default povey window).
 *
 * <p>Frame counts must be equal and the samples fed to sherpa-onnx must be our decoder's, bit for bit. Values cannot
 * be bit-identical: sherpa-onnx's float32 kissfft is compiled with -ffast-math. Its rounding noise in a power
 * spectrum is a fraction of the frame's strongest bin, so in the log domain a bin {@code d} below the frame's
 * maximum (un-normalised log-mel) may differ by {@link #ABSOLUTE} + {@link #RELATIVE_TO_PEAK}{@code * e^d}: 2e-5 in
 * strong bins (about 10 float32 ulps at 25), but ~0.5 for a bin 16 below the peak (the quiet end of a chirp).
 * Measured worst cases are {@code <= 8e-6} absolute and {@code <= 3e-8 * e^d}; the constants leave a margin of
 * about 3; no
 * bound exceeds {@link #NOISE_CAP}. Normalisation spreads the bound: a global mean adds the mean of the column's bounds; NeMo's per-feature
 * normalisation divides by the column's deviation and adds the deviation's own error times the value.
 */
class SherpaFrontEndConformanceTest {

    static final double ABSOLUTE = 2e-5;
    static final double RELATIVE_TO_PEAK = 1e-7;
    /** A bin made of rounding noise differs by up to 0.54 (measured), never by a factor of e^1 in power. */
    static final double NOISE_CAP = 1.0;
    /** Half the values of every case agree to this (measured at most 7.8e-5, on the chirp): no systematic drift. */
    static final double MAX_MEDIAN_DIFF = 2e-4;

    private static final Path DIR = Npy.conformanceDir().resolve("sherpa");
    private static final Map<String, String> SUMMARY = new ConcurrentSkipListMap<>();

    record Case(String input, String model, int inputSampleRateHz, String samplesSha256, int frames,
                int nemoLengthInput, int[] rowIndices, String rows, String frameMeans, Map<String, String> metadata) {

        @Override
        public String toString() {
            return input + " / " + model;
        }
    }

    static List<Case> cases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(DIR.resolve("references.json").toFile());
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            Map<String, String> metadata = new TreeMap<>();
            root.get("models").get(c.get("model").asText()).fields()
                    .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            int[] rows = new int[c.get("rowIndices").size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = c.get("rowIndices").get(i).asInt();
            }
            cases.add(new Case(c.get("input").asText(), c.get("model").asText(), c.get("inputSampleRateHz").asInt(),
                    c.get("samplesSha256").asText(), c.get("frames").asInt(), c.get("nemoLengthInput").asInt(), rows,
                    c.get("rows").asText(), c.get("frameMeans").asText(), metadata));
        }
        return cases;
    }

    @AfterAll
    static void printSummary() {
        System.out.println("== sherpa-onnx front end: ours vs sherpa-onnx 1.13.8 (log-mel features) ==");
        SUMMARY.values().forEach(line -> System.out.println("  " + line));
    }

    @Test
    void theReferencesCoverEveryFamilyAndResampling() throws IOException {
        List<Case> cases = cases();
        assertTrue(cases.size() >= 20, "cases: " + cases.size());
        assertTrue(cases.stream().anyMatch(c -> c.metadata().get("framework").equals("wespeaker")));
        assertTrue(cases.stream().anyMatch(c -> c.metadata().get("framework").equals("3d-speaker")));
        assertTrue(cases.stream().anyMatch(c -> c.metadata().get("framework").equals("nemo")));
        assertTrue(cases.stream().anyMatch(c -> c.inputSampleRateHz() != Integer.parseInt(
                c.metadata().get("sample_rate"))), "a case that resamples");
        assertTrue(cases.stream().anyMatch(c -> c.input().contains("stereo")), "a stereo case");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void featuresMatchSherpaOnnx(Case c) throws Exception {
        DecodedAudio audio = WavDecoder.decode(Files.readAllBytes(
                Npy.conformanceDir().resolve("inputs/" + c.input() + ".wav")));
        float[] mono = ChannelAverage.mono(audio);
        assertEquals(c.inputSampleRateHz(), audio.sampleRateHz(), "sample rate");
        assertEquals(c.samplesSha256(), sha256(mono), "the samples fed to sherpa-onnx are not our decoder's");

        SherpaMetadata metadata = SherpaMetadata.parse(c.model() + ".onnx", c.metadata(), null);
        SherpaFrontEnd frontEnd = new SherpaFrontEnd(c.model() + ".onnx", metadata);
        assertEquals(c.frames(), frontEnd.frameCount(mono.length, audio.sampleRateHz()), "predicted frame count");
        float[][] features = frontEnd.features(mono, audio.sampleRateHz());
        assertEquals(c.frames(), features.length, "frame count");
        assertEquals(c.frames(), c.nemoLengthInput(), "sherpa-onnx's NeMo length input is the frame count");
        double[][] tolerance = tolerance(frontEnd.rawFeatures(mono, audio.sampleRateHz()), features,
                metadata.featureNormalization());

        Comparison rows = compareRows(c, features, tolerance);
        if (rows.firstViolation() != null) {
            throw new AssertionError(c + ": " + rows.firstViolation());
        }
        assertTrue(Npy.withinTolerance(rows.medianDiff(), MAX_MEDIAN_DIFF), c + ": median |diff| "
                + rows.medianDiff() + " > " + MAX_MEDIAN_DIFF + " (a systematic difference, not FFT rounding)");
        double maxDiff = rows.maxDiff();
        double worstShare = rows.worstShare();
        int bins = frontEnd.featureDim();

        // Every frame's mean over its bins: covers the frames not stored in full.
        float[] expectedMeans = Npy.read(DIR.resolve(c.frameMeans())).data();
        assertEquals(c.frames(), expectedMeans.length, "frame means");
        double maxMeanDiff = 0;
        for (int t = 0; t < features.length; t++) {
            double sum = 0;
            double allowed = 0;
            for (int j = 0; j < bins; j++) {
                sum += features[t][j];
                allowed += tolerance[t][j];
            }
            double diff = Math.abs(expectedMeans[t] - sum / bins);
            assertTrue(Npy.withinTolerance(diff, allowed / bins + 1e-6), c + ": frame " + t + " mean differs by "
                    + diff + ", at most " + (allowed / bins + 1e-6) + " allowed");
            maxMeanDiff = Math.max(maxMeanDiff, diff);
        }
        SUMMARY.put(c.toString(), String.format("%-24s %-12s frames %4d  max |diff| %.2e (%3.0f%% of its bound)"
                + "  frame means %.2e", c.input(), c.model(), c.frames(), maxDiff, 100 * worstShare, maxMeanDiff));
    }

    /**
     * The comparison is tight enough to notice a plausible mistake: without DC removal, or with a Hann instead of
     * the povey window, or with Slaney mel filters, the WeSpeaker features of the speech file leave the tolerance.
     */
    @Test
    void aSlightlyWrongFrontEndFailsTheComparison() throws Exception {
        Case c = cases().stream().filter(x -> x.input().equals("speech_espeak_en") && x.model().equals("wespeaker"))
                .findFirst().orElseThrow();
        float[] mono = ChannelAverage.mono(WavDecoder.decode(Files.readAllBytes(
                Npy.conformanceDir().resolve("inputs/" + c.input() + ".wav"))));
        SherpaMetadata metadata = SherpaMetadata.parse("wespeaker.onnx", c.metadata(), null);
        KaldiFbankOptions right = SherpaFrontEnd.fbankOptions(metadata);
        float[] scaled = mono.clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= 32768f;
        }
        float[][] good = new KaldiFbank(right).compute(scaled, true);
        double[][] tolerance = tolerance(good, good, FeatureNormalization.NONE);
        assertEquals(null, compareRows(c, good, tolerance).firstViolation(), "the right options pass");
        for (KaldiFbankOptions wrong : List.of(
                new KaldiFbankOptions(16000, 25, 10, 80, WindowType.POVEY, false, 0.97f, false, 20, -400,
                        MelScale.KALDI),
                new KaldiFbankOptions(16000, 25, 10, 80, WindowType.HANN, true, 0.97f, false, 20, -400,
                        MelScale.KALDI),
                new KaldiFbankOptions(16000, 25, 10, 80, WindowType.POVEY, true, 0.97f, false, 20, -400,
                        MelScale.SLANEY))) {
            Comparison comparison = compareRows(c, new KaldiFbank(wrong).compute(scaled, true), tolerance);
            assertTrue(comparison.firstViolation() != null, wrong + " passed: max |diff| " + comparison.maxDiff());
        }
    }

    /** Largest differences and the first value beyond its tolerance (null when none is). */
    record Comparison(double maxDiff, double medianDiff, double worstShare, String firstViolation) {
    }

    static Comparison compareRows(Case c, float[][] features, double[][] tolerance) throws IOException {
        Npy rows = Npy.read(DIR.resolve(c.rows()));
        int bins = features[0].length;
        assertEquals(bins, rows.shape()[1], "bins");
        assertEquals(c.rowIndices().length, rows.shape()[0], "stored rows");
        double[] diffs = new double[rows.data().length];
        double worstShare = 0;
        String violation = null;
        for (int r = 0; r < c.rowIndices().length; r++) {
            int t = c.rowIndices()[r];
            for (int j = 0; j < bins; j++) {
                float expected = rows.data()[r * bins + j];
                float actual = features[t][j];
                double diff = Math.abs((double) expected - actual);
                if (!Float.isFinite(actual)) {
                    diff = Double.NaN;
                }
                if (violation == null && !Npy.withinTolerance(diff, tolerance[t][j])) {
                    violation = "frame " + t + " bin " + j + ": sherpa-onnx " + expected + ", ours " + actual
                            + ", |diff| " + diff + " > tolerance " + tolerance[t][j];
                }
                diffs[r * bins + j] = diff;
                worstShare = Math.max(worstShare, diff / tolerance[t][j]);
            }
        }
        double max = Npy.maxAbsDiff(rows.data(), flatRows(c, features));
        Arrays.sort(diffs);
        return new Comparison(max, diffs[diffs.length / 2], worstShare, violation);
    }

    private static float[] flatRows(Case c, float[][] features) {
        int bins = features[0].length;
        float[] flat = new float[c.rowIndices().length * bins];
        for (int r = 0; r < c.rowIndices().length; r++) {
            System.arraycopy(features[c.rowIndices()[r]], 0, flat, r * bins, bins);
        }
        return flat;
    }

    /** Per value, the difference FFT rounding can explain (see the class comment). */
    static double[][] tolerance(float[][] raw, float[][] normalized, FeatureNormalization normalization) {
        int frames = raw.length;
        int bins = raw[0].length;
        double[][] bound = new double[frames][bins];
        for (int t = 0; t < frames; t++) {
            float peak = Float.NEGATIVE_INFINITY;
            for (float v : raw[t]) {
                peak = Math.max(peak, v);
            }
            for (int j = 0; j < bins; j++) {
                bound[t][j] = Math.min(NOISE_CAP, ABSOLUTE + RELATIVE_TO_PEAK * Math.exp(peak - raw[t][j]));
            }
        }
        if (normalization == FeatureNormalization.NONE) {
            return bound;
        }
        double[][] tolerance = new double[frames][bins];
        for (int j = 0; j < bins; j++) {
            double meanBound = 0;
            double mean = 0;
            for (int t = 0; t < frames; t++) {
                meanBound += bound[t][j] / frames;
                mean += raw[t][j] / (double) frames;
            }
            if (normalization == FeatureNormalization.GLOBAL_MEAN) {
                for (int t = 0; t < frames; t++) {
                    tolerance[t][j] = bound[t][j] + meanBound;
                }
                continue;
            }
            double variance = 0;
            double centredBoundSquares = 0;
            for (int t = 0; t < frames; t++) {
                double d = raw[t][j] - mean;
                variance += d * d / frames;
                double b = bound[t][j] + meanBound;
                centredBoundSquares += b * b / frames;
            }
            double denominator = Math.sqrt(variance) + 1e-5;
            double deviationError = Math.sqrt(centredBoundSquares);
            for (int t = 0; t < frames; t++) {
                tolerance[t][j] = ABSOLUTE + (bound[t][j] + meanBound
                        + Math.abs(normalized[t][j]) * deviationError) / denominator;
            }
        }
        return tolerance;
    }

    static String sha256(float[] samples) throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(samples.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(samples);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    }
}
