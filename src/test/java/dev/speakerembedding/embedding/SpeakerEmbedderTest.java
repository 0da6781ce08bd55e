package dev.speakerembedding.embedding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.model.ModelRuntimeOptions;
import dev.speakerembedding.model.speechbrain.EcapaModel;
import dev.speakerembedding.testing.Npy;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The whole path from WAV bytes to embedding, in process, against speechbrain's numbers for every input. */
class SpeakerEmbedderTest {

    private static SpeakerEmbedder embedder;
    private static Path converted;

    @BeforeAll
    static void load() throws Exception {
        converted = Files.createTempDirectory("converted");
        embedder = new SpeakerEmbedder(EcapaModel.load(Npy.conformanceDir().resolve("small"), converted,
                ModelRuntimeOptions.defaults()));
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    static List<String> speechInputs() throws Exception {
        try (Stream<Path> files = Files.list(Npy.conformanceDir().resolve("inputs"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("silence")).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("speechInputs")
    void embeddingFromWavBytesEqualsSpeechbrain(String input) throws Exception {
        String stem = input.substring(0, input.length() - ".wav".length());
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(input));
        for (boolean normalize : new boolean[] {false, true}) {
            float[] actual = embedder.embed(wav, new EmbeddingOptions(normalize, false), AudioLimits.UNBOUNDED).embedding();
            String suffix = normalize ? ".embedding_normalize_true.npy" : ".embedding.npy";
            float[] expected = Npy.read(Npy.conformanceDir().resolve("expected/small").resolve(stem + suffix)).data();
            double maxAbs = Npy.maxAbsDiff(expected, actual);
            double cosine = Npy.cosine(expected, actual);
            System.out.printf("pipeline %-38s normalize=%-5s max|diff|=%.2e cosine=%.9f%n", input, normalize, maxAbs, cosine);
            assertTrue(maxAbs <= 5e-5, input + ": max abs " + maxAbs);
            assertTrue(cosine >= 0.99999, input + ": cosine " + cosine);
        }
    }

    @Test
    void resultReportsDurationRateAndChannelsOfTheAudioAsSent() throws Exception {
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/speech_44k1_s16_stereo.wav"));
        EmbeddingResult r = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
        assertEquals(44100, r.sampleRateHz());
        assertEquals(2, r.channelCount());
        assertEquals((wav.length - 44) / 4 / 44100.0, r.durationSeconds(), 0.01);
        assertEquals(32, r.embedding().length);
    }

    @Test
    void unitLengthScalesToNormOneAndKeepsDirection() throws Exception {
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/noise_3s.wav"));
        float[] raw = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED).embedding();
        float[] unit = embedder.embed(wav, new EmbeddingOptions(false, true), AudioLimits.UNBOUNDED).embedding();
        double norm = 0;
        for (float x : unit) {
            norm += x * x;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-6);
        assertEquals(1.0, Npy.cosine(raw, unit), 1e-7);
        assertArrayEquals(new float[3], SpeakerEmbedder.unitLength(new float[3]), "zero stays zero, not NaN");
    }

    @Test
    void digitalSilenceAndTooShortAudioAreRefused() throws Exception {
        byte[] silence = Files.readAllBytes(Npy.conformanceDir().resolve("inputs/silence_1s_16k_s16.wav"));
        var e = assertThrows(AudioRejectedException.class,
                () -> embedder.embed(silence, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED));
        assertEquals(AudioRejectedException.Reason.SILENCE, e.reason());

        byte[] short639 = pcm16Wav(16000, noise(639));
        e = assertThrows(AudioRejectedException.class,
                () -> embedder.embed(short639, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED));
        assertEquals(AudioRejectedException.Reason.TOO_SHORT, e.reason());
        assertEquals(32, embedder.embed(pcm16Wav(16000, noise(640)), EmbeddingOptions.RAW, AudioLimits.UNBOUNDED)
                .embedding().length, "640 samples (5 frames) is the model's minimum");
    }

    @Test
    void limitsAreCheckedBeforeAnyModelWork() throws Exception {
        byte[] twoSeconds = pcm16Wav(16000, noise(32000));
        var e = assertThrows(AudioRejectedException.class,
                () -> embedder.embed(twoSeconds, EmbeddingOptions.RAW, new AudioLimits(0.1, 1.5)));
        assertEquals(AudioRejectedException.Reason.TOO_LONG, e.reason());
        e = assertThrows(AudioRejectedException.class,
                () -> embedder.embed(twoSeconds, EmbeddingOptions.RAW, new AudioLimits(2.5, 10)));
        assertEquals(AudioRejectedException.Reason.TOO_SHORT, e.reason());
    }

    @Test
    void sampleRateCoprimeWithTargetIsRefusedInsteadOfBuildingAHugeFilter() throws Exception {
        byte[] odd = pcm16Wav(767_999, noise(8000));
        var e = assertThrows(AudioFormatException.class,
                () -> embedder.embed(odd, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED));
        assertEquals(AudioFormatException.Reason.UNSUPPORTED_ENCODING, e.reason());
        assertTrue(e.getMessage().contains("767999"), e.getMessage());
        // Common rates stay well inside the bound.
        for (int rate : new int[] {8000, 11025, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000}) {
            assertTrue(dev.speakerembedding.audio.Resampler.kernelTaps(rate, 16000) < 20_000, "rate " + rate);
        }
    }

    static short[] noise(int n) {
        java.util.Random random = new java.util.Random(42);
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) (random.nextGaussian() * 3000);
        }
        return s;
    }

    static byte[] pcm16Wav(int sampleRateHz, short[] samples) {
        ByteBuffer b = ByteBuffer.allocate(44 + samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + samples.length * 2).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(sampleRateHz)
                .putInt(sampleRateHz * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(samples.length * 2);
        for (short s : samples) {
            b.putShort(s);
        }
        return b.array();
    }

    /**
     * An enrollment's one pass: the embedding {@link SpeakerEmbedder#embed} gives, bit for bit, and the speech the
     * voice activity estimate measures on the 16 kHz waveform speechbrain's load_audio makes.
     */
    @ParameterizedTest
    @MethodSource("speechInputs")
    void measuredEmbeddingIsTheEmbeddingAndTheSpeechOfTheModelsWaveform(String input) throws Exception {
        String stem = input.substring(0, input.length() - ".wav".length());
        byte[] wav = Files.readAllBytes(Npy.conformanceDir().resolve("inputs").resolve(input));
        dev.speakerembedding.audio.EnergyVoiceActivity vad = new dev.speakerembedding.audio.EnergyVoiceActivity(
                dev.speakerembedding.audio.EnergyVoiceActivity.Settings.DEFAULT);
        MeasuredEmbedding measured = embedder.embedMeasured(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED, vad);
        EmbeddingResult plain = embedder.embed(wav, EmbeddingOptions.RAW, AudioLimits.UNBOUNDED);
        org.junit.jupiter.api.Assertions.assertArrayEquals(plain.embedding(), measured.result().embedding(), input);
        org.junit.jupiter.api.Assertions.assertEquals(plain.durationSeconds(), measured.result().durationSeconds());
        Path wav16k = Npy.conformanceDir().resolve("expected/small").resolve(stem + ".wav16k.npy");
        float[] waveform = Files.exists(wav16k) ? Npy.read(wav16k).data()
                : dev.speakerembedding.audio.AudioNormalizer.toMono16k(dev.speakerembedding.audio.WavDecoder.decode(
                        wav, Integer.MAX_VALUE));
        org.junit.jupiter.api.Assertions.assertEquals(waveform.length / 16000.0,
                measured.speech().durationSeconds(), 1e-9, "measured on the 16 kHz waveform");
        double expectedSpeech = vad.measure(waveform, 16000).speechSeconds();
        org.junit.jupiter.api.Assertions.assertEquals(expectedSpeech, measured.speech().speechSeconds(), 0.0101,
                input + ": one 10 ms hop at most apart from speechbrain's waveform");
        org.junit.jupiter.api.Assertions.assertTrue(measured.speech().speechSeconds() > 0, input);
    }
}
