package dev.speakerembedding.bench;

import dev.speakerembedding.model.ConversionInfo;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.Npy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static dev.speakerembedding.bench.BenchUtil.log;

/**
 * The suite's int8 phase, in process: MODEL_PRECISION=int8 against float32 on the full-size checkpoint. For every
 * conformance input, the cosine of the int8 embedding to the float32 one (at least 0.999 expected on each); then
 * the throughput ratio int8 / float32 at 1 and 2 intra-op threads on 3 s and 10 s of features, the two models run
 * alternately so that load from other processes hits both alike. The CPU's instruction sets are printed beside
 * every figure, with the target they set: 3x with AMX, 2x with AVX-512 VNNI or AVX-VNNI, 1.5x on AVX2 alone.
 *
 * <p>Usage: {@code Int8Benchmark --model <snapshot dir> --conformance <dir> --out <file.properties> [--runs 30]}.
 * The conformance features are those of {@code expected/small}: the front end has no learned parameters, so they
 * are byte-identical to the full model's.
 */
public final class Int8Benchmark {

    private static final int WARM_UP_RUNS = 5;
    private static final int[] THREADS = {1, 2};
    private static final int[] CLIP_SECONDS = {3, 10};
    private static final double MIN_COSINE = 0.999;

    private Int8Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = PipelineBenchmark.parse(args);
        Path model = Path.of(PipelineBenchmark.require(a, "--model"));
        Path conformance = Path.of(PipelineBenchmark.require(a, "--conformance"));
        Path out = Path.of(PipelineBenchmark.require(a, "--out"));
        int runs = Integer.parseInt(a.getOrDefault("--runs", "30"));
        BenchUtil.Results results = new BenchUtil.Results();
        String flags = ProfileIndexBenchmark.cpuFlags();
        String target = target(flags);
        results.put("int8.cpu", ProfileIndexBenchmark.cpuModel());
        results.put("int8.cpu_flags", flags);
        results.put("int8.target", target);
        results.put("int8.runs", runs);
        log("int8 vs float32, cpu %s; %s; target %s", ProfileIndexBenchmark.cpuModel(), flags, target);
        Path converted = Files.createTempDirectory("int8-bench");
        try {
            ConversionInfo f32 = EcapaModel.convert(model, converted, ModelPrecision.FLOAT32);
            ConversionInfo i8 = EcapaModel.convert(model, converted, ModelPrecision.INT8);
            results.put("int8.onnx_mb", i8.onnxSizeBytes() / 1e6);
            results.put("int8.float32_onnx_mb", f32.onnxSizeBytes() / 1e6);
            results.put("int8.conversion_ms", i8.conversionMillis());
            log("graphs: float32 %.1f MB, int8 %.1f MB (converted in %d ms)", f32.onnxSizeBytes() / 1e6,
                    i8.onnxSizeBytes() / 1e6, i8.conversionMillis());
            cosines(model, converted, conformance.resolve("expected/small"), flags, results);
            for (int threads : THREADS) {
                throughput(model, converted, threads, runs, flags, results);
            }
        } finally {
            BenchUtil.deleteRecursively(converted);
        }
        results.write(out);
        log("wrote %s", out);
        System.exit(0);
    }

    /** The ratio the issue asks for on this CPU, from the best instruction set it has. */
    static String target(String flags) {
        if (flags.contains("amx_int8=yes")) {
            return "3x (AMX)";
        }
        if (flags.contains("avx512_vnni=yes") || flags.contains("avx_vnni=yes")) {
            return "2x (VNNI)";
        }
        return flags.contains("avx2=yes") ? "1.5x (AVX2)" : "none (no AVX2)";
    }

    private static void cosines(Path model, Path converted, Path features, String flags, BenchUtil.Results results)
            throws Exception {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(features)) {
            inputs = files.filter(p -> p.getFileName().toString().endsWith(".fbank_norm.npy")).sorted().toList();
        }
        if (inputs.isEmpty()) {
            throw new IllegalStateException("no *.fbank_norm.npy in " + features);
        }
        ModelRuntimeOptions options = ModelRuntimeOptions.defaults().withIntraOpThreads(1);
        double worst = 1;
        try (EcapaModel float32 = EcapaModel.load(model, converted, options);
             EcapaModel int8 = EcapaModel.load(model, converted, options, ModelPrecision.INT8)) {
            for (Path input : inputs) {
                Npy feats = Npy.read(input);
                double cosine = Npy.cosine(float32.embed(feats.data(), feats.shape()[0]),
                        int8.embed(feats.data(), feats.shape()[0]));
                String stem = input.getFileName().toString().replace(".fbank_norm.npy", "");
                results.put("int8.cosine." + stem, cosine);
                log("int8 cosine to float32 %-32s %5d frames  %.6f %s  [%s]", stem, feats.shape()[0], cosine,
                        cosine >= MIN_COSINE ? "ok" : "BELOW 0.999", flags);
                worst = Math.min(worst, cosine);
            }
        }
        results.put("int8.cosine_worst", worst);
        log("int8 worst cosine over %d inputs: %.6f (target >= %.3f: %s)  [%s]", inputs.size(), worst, MIN_COSINE,
                worst >= MIN_COSINE ? "met" : "MISSED", flags);
    }

    private static void throughput(Path model, Path converted, int threads, int runs, String flags,
                                   BenchUtil.Results results) throws Exception {
        ModelRuntimeOptions options = ModelRuntimeOptions.defaults().withIntraOpThreads(threads);
        try (EcapaModel float32 = EcapaModel.load(model, converted, options);
             EcapaModel int8 = EcapaModel.load(model, converted, options, ModelPrecision.INT8)) {
            for (int seconds : CLIP_SECONDS) {
                int frames = seconds * 100 + 1;
                float[] feats = features(frames, float32.melCount());
                double[][] millis = timeAlternately(() -> float32.embed(feats, frames),
                        () -> int8.embed(feats, frames), runs);
                double f = BenchUtil.median(millis[0]);
                double q = BenchUtil.median(millis[1]);
                double ratio = f / q;
                String key = "int8.t" + threads + "_" + seconds + "s";
                results.put(key + ".float32_ms", f);
                results.put(key + ".int8_ms", q);
                results.put(key + ".ratio", ratio);
                log("%d thread(s), %2d s (%4d frames): float32 median %6.1f ms, int8 %6.1f ms, throughput int8 / "
                                + "float32 %.2fx (target %s)  [%s]", threads, seconds, frames, f, q, ratio,
                        target(flags), flags);
            }
        }
    }

    /** Runs a and b in turn, {@code runs} times each after warm-up; their times in milliseconds, in that order. */
    private static double[][] timeAlternately(Runnable a, Runnable b, int runs) {
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            a.run();
            b.run();
        }
        Runnable[] calls = {a, b};
        double[][] millis = new double[2][runs];
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < 2; k++) {
                long t0 = System.nanoTime();
                calls[(i + k) % 2 == 0 ? 0 : 1].run();
                millis[(i + k) % 2 == 0 ? 0 : 1][i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return millis;
    }

    /** Sentence-normalised-looking features: zero-mean noise of a few dB. */
    private static float[] features(int frames, int width) {
        Random random = new Random(frames * 31L + width);
        float[] x = new float[frames * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * 5f;
        }
        return x;
    }
}
