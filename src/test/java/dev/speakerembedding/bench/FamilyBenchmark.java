package dev.speakerembedding.bench;

import dev.speakerembedding.audio.DecodedAudio;
import dev.speakerembedding.audio.WavDecoder;
import dev.speakerembedding.embedding.AudioLimits;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.files.FileDigests;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.model.sherpa.SherpaModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.speakerembedding.bench.BenchUtil.log;
import static dev.speakerembedding.bench.BenchUtil.median;
import static dev.speakerembedding.bench.BenchUtil.millis;

/**
 * Item 3b of the suite, in process: the whole pipeline from WAV bytes for one model of each sherpa-onnx family
 * ({@link BenchModels}: random weights, published sizes), split into the front end (decode, resample, fbank and
 * feature normalisation) and the ONNX Runtime run, on 3 s and 10 s clips, with the service's default session
 * options. The front end should stay under 5 % of inference for every family.
 *
 * <p>Usage: {@code FamilyBenchmark --conformance <dir> --out <file.properties> [--runs 20] [--quick]}.
 */
public final class FamilyBenchmark {

    private static final double[] CLIP_SECONDS = {3, 10};
    private static final int FRONT_END_WARM_UP_RUNS = 200;

    private FamilyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = PipelineBenchmark.parse(args);
        Path conformance = Path.of(PipelineBenchmark.require(a, "--conformance"));
        Path out = Path.of(PipelineBenchmark.require(a, "--out"));
        boolean quick = a.containsKey("--quick");
        int runs = Integer.parseInt(a.getOrDefault("--runs", quick ? "5" : "20"));
        int warmUp = quick ? 2 : 4;
        BenchUtil.Results results = new BenchUtil.Results();
        results.put("family.cpu", ProfileIndexBenchmark.cpuModel());
        results.put("family.cpu_flags", ProfileIndexBenchmark.cpuFlags());
        int cores = Runtime.getRuntime().availableProcessors();
        // One thread per run, the service's share per request under load: the front end's share of a request is
        // largest against the slowest inference, and the figures stay comparable with earlier runs.
        ModelRuntimeOptions options = ModelRuntimeOptions.forService(cores, cores).withIntraOpThreads(1);
        results.put("family.options", PipelineBenchmark.describe(options));
        results.put("family.runs", runs);
        log("cpu %s, %s; %s", ProfileIndexBenchmark.cpuModel(), ProfileIndexBenchmark.cpuFlags(),
                PipelineBenchmark.describe(options));
        Path dir = Files.createTempDirectory("family-bench");
        try {
            for (BenchModels.Built built : BenchModels.all()) {
                run(built, dir, options, conformance, runs, warmUp, results);
            }
        } finally {
            BenchUtil.deleteRecursively(dir);
        }
        results.write(out);
        log("wrote %s", out);
        System.exit(0);
    }

    private static void run(BenchModels.Built built, Path dir, ModelRuntimeOptions options, Path conformance,
                            int runs, int warmUp, BenchUtil.Results results) throws Exception {
        String key = "family." + built.family();
        Path file = dir.resolve(built.family() + ".onnx");
        Files.write(file, built.onnx());
        results.put(key + ".shape", built.shape());
        results.put(key + ".params", built.parameters());
        results.put(key + ".gmacs_3s", built.gmacsPer3s());
        results.put(key + ".mb", built.onnx().length / 1e6);
        log("%s: %s, %.2fM parameters, %.2f GMACs per 3 s, %.1f MB", built.family(), built.shape(),
                built.parameters() / 1e6, built.gmacsPer3s(), built.onnx().length / 1e6);
        SourceFile source = new SourceFile(file.getFileName().toString(), Files.size(file), FileDigests.sha256(file));
        try (SpeakerEmbedder embedder = new SpeakerEmbedder(SherpaModel.load(file, source, null, options))) {
            for (double seconds : CLIP_SECONDS) {
                byte[] wav = Clips.mono16k(conformance, seconds);
                // the front end alone first, until the JIT has compiled it: the few whole-pipeline warm-up runs
                // (seconds of ONNX Runtime for the heavier models) would leave it half-compiled for the first family
                SpeakerModel model = embedder.model();
                for (int i = 0; i < FRONT_END_WARM_UP_RUNS; i++) {
                    DecodedAudio audio = WavDecoder.decode(wav, AudioLimits.UNBOUNDED.maxSamplesPerChannel());
                    model.features(model.mono(audio.channels(), audio.sampleRateHz()),
                            model.monoRateHz(audio.sampleRateHz()));
                }
                for (int i = 0; i < warmUp; i++) {
                    embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
                }
                double[] decode = new double[runs];
                double[] resample = new double[runs];
                double[] fbank = new double[runs];
                double[] frontEnd = new double[runs];
                double[] onnx = new double[runs];
                double[] share = new double[runs];
                for (int r = 0; r < runs; r++) {
                    EmbeddingResult result = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
                    decode[r] = millis(result.timings().decodeNanos());
                    resample[r] = millis(result.timings().resampleNanos());
                    fbank[r] = millis(result.timings().fbankNanos());
                    frontEnd[r] = decode[r] + resample[r] + fbank[r];
                    onnx[r] = millis(result.timings().inferenceNanos());
                    share[r] = frontEnd[r] / onnx[r];
                }
                String k = key + "." + (int) seconds + "s";
                results.put(k + ".decode_ms", median(decode));
                results.put(k + ".resample_ms", median(resample));
                results.put(k + ".fbank_ms", median(fbank));
                results.put(k + ".frontend_ms", median(frontEnd));
                results.put(k + ".onnx_ms", median(onnx));
                results.put(k + ".frontend_over_onnx", median(frontEnd) / median(onnx));
                // the same share run by run: both stages timed within one call, so a busy spell hits both
                results.put(k + ".frontend_over_onnx_per_run", median(share));
                log("%s %ds: front end %.2f ms (decode %.2f, resample %.2f, fbank+norm %.2f), ONNX Runtime %.1f ms;"
                                + " front end / inference %.2f %% (median of per-run ratios %.2f %%)", built.family(),
                        (int) seconds, median(frontEnd), median(decode), median(resample), median(fbank), median(onnx),
                        100 * median(frontEnd) / median(onnx), 100 * median(share));
            }
        }
        Files.delete(file);
    }
}
