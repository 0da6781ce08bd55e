package dev.speakerembedding.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.audio.ConformanceInputs.Input;
import dev.speakerembedding.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AudioConformanceTest {

    private static final double WAVEFORM_TOLERANCE = 1e-5;
    private static final double KERNEL_TOLERANCE = 1e-7;

    private static final Map<String, String> SUMMARY = new ConcurrentSkipListMap<>();

    static List<Input> inputs() {
        return ConformanceInputs.all();
    }

    @AfterAll
    static void printSummary() {
        System.out.println("== audio front end vs speechbrain load_audio ==");
        new TreeMap<>(SUMMARY).forEach((key, line) -> System.out.println("  " + line));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void decoderReportsTheStoredFormat(Input input) throws AudioFormatException {
        DecodedAudio audio = WavDecoder.decode(input.wavBytes());
        assertEquals(input.sampleRateHz(), audio.sampleRateHz(), "sample rate");
        assertEquals(input.channelCount(), audio.channelCount(), "channels");
        assertEquals(input.encoding(), audio.encoding(), "encoding");
        assertEquals(input.frameCount(), audio.frameCount(), "frames");
        assertEquals(input.frameCount() / (double) input.sampleRateHz(), audio.durationSeconds(), 1e-12);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void decodedAndNormalisedWaveformMatchesLoadAudio(Input input) throws Exception {
        float[] mono16k = AudioNormalizer.toMono16k(WavDecoder.decode(input.wavBytes()));
        assertEquals(input.samples16k(), mono16k.length, "samples at 16 kHz");
        if (Files.exists(input.expected("small/<stem>.wav16k.npy"))) {
            Npy expected = Npy.read(input.expected("small/<stem>.wav16k.npy"));
            double maxDiff = Npy.maxAbsDiff(expected.data(), mono16k);
            int differing = countDiffering(expected.data(), mono16k);
            SUMMARY.put(input.stem(), String.format("%-32s wav16k max |diff| %.3g (%d of %d samples differing)",
                    input.stem(), maxDiff, differing, mono16k.length));
            assertTrue(maxDiff <= WAVEFORM_TOLERANCE,
                    input.stem() + ": wav16k max abs diff " + maxDiff + " > " + WAVEFORM_TOLERANCE);
        } else {
            assertTrue(input.isPlain16kMono16Bit(), "no wav16k reference for " + input.stem());
            short[] raw = rawS16(input.wavBytes());
            assertEquals(raw.length, mono16k.length);
            int mismatches = 0;
            for (int i = 0; i < raw.length; i++) {
                if (mono16k[i] != raw[i] / 32768.0f) {
                    mismatches++;
                }
            }
            SUMMARY.put(input.stem(), String.format("%-32s decoded == int16/32768 for all %d samples (%d mismatches)",
                    input.stem(), raw.length, mismatches));
            assertEquals(0, mismatches, input.stem() + ": samples differing from int16 / 32768");
        }
    }

    @Test
    void thirtyTwoBitExtremesMapToFullScaleLikeSox() throws Exception {
        Input input = ConformanceInputs.all().stream()
                .filter(i -> i.stem().equals("speech_16k_s32_mono")).findFirst().orElseThrow();
        float[] samples = WavDecoder.decode(input.wavBytes()).channels()[0];
        // The file stores 2147483647, -2147483648 and 2147483584 in its first three samples.
        assertEquals(1.0f, samples[0]);
        assertEquals(-1.0f, samples[1]);
        assertEquals(1.0f, samples[2]);
    }

    @Test
    void floatSamplesBeyondFullScaleAreClipped() throws Exception {
        Input input = ConformanceInputs.all().stream()
                .filter(i -> i.stem().equals("speech_22k05_f32_mono")).findFirst().orElseThrow();
        float[] samples = WavDecoder.decode(input.wavBytes()).channels()[0];
        int atFullScale = 0;
        for (float s : samples) {
            assertTrue(Math.abs(s) <= 1.0f, "sample " + s + " beyond full scale");
            if (Math.abs(s) == 1.0f) {
                atFullScale++;
            }
        }
        assertTrue(atFullScale >= 8, "expected the 8 out-of-range samples to clip, found " + atFullScale);
    }

    @ParameterizedTest(name = "{0} Hz")
    @ValueSource(ints = {8000, 22050, 44100, 48000})
    void resamplingKernelEqualsTorchaudioKernel(int fromHz) throws IOException {
        Npy expected = Npy.read(Npy.conformanceDir()
                .resolve("expected/frontend/resample_kernel_" + fromHz + "_to_16000.npy"));
        Resampler.Kernel kernel = Resampler.kernel(fromHz, 16000);
        float[][] dense = kernel.dense();
        assertArrayEquals(expected.shape(), new int[] {dense.length, dense[0].length},
                "kernel shape [phases, taps]");
        float[] flat = new float[dense.length * dense[0].length];
        for (int j = 0; j < dense.length; j++) {
            System.arraycopy(dense[j], 0, flat, j * dense[0].length, dense[0].length);
        }
        double maxDiff = Npy.maxAbsDiff(expected.data(), flat);
        int differing = countDiffering(expected.data(), flat);
        SUMMARY.put("kernel_" + fromHz, String.format("kernel %6d->16000 %s: max |diff| %.3g, %d of %d differing,"
                + " %d of %d taps non-zero", fromHz, java.util.Arrays.toString(expected.shape()), maxDiff, differing,
                flat.length, kernel.storedTaps(), flat.length));
        assertTrue(maxDiff <= KERNEL_TOLERANCE, fromHz + " Hz kernel max abs diff " + maxDiff);
    }

    @Test
    void stereoIsAveragedAfterResamplingEachChannel() throws Exception {
        float[] left = {0.5f, 0.25f, -0.125f, 1f};
        float[] right = {0.25f, -0.25f, 0.375f, 1f};
        float[] mono = AudioNormalizer.toMono16k(new DecodedAudio(16000, 2, new float[][] {left, right}, "float32"));
        assertArrayEquals(new float[] {0.375f, 0f, 0.125f, 1f}, mono);

        float[] l44 = new float[4410];
        float[] r44 = new float[4410];
        for (int i = 0; i < l44.length; i++) {
            l44[i] = (float) Math.sin(i * 0.01);
            r44[i] = (float) Math.cos(i * 0.013);
        }
        float[] mixed = AudioNormalizer.toMono16k(new DecodedAudio(44100, 2, new float[][] {l44, r44}, "float32"));
        float[] l16 = Resampler.resample(l44, 44100, 16000);
        float[] r16 = Resampler.resample(r44, 44100, 16000);
        for (int i = 0; i < mixed.length; i++) {
            assertEquals((l16[i] + r16[i]) / 2f, mixed[i], "sample " + i);
        }
    }

    @Test
    void monoAt16kIsPassedThrough() {
        float[] samples = {0.1f, 0.2f};
        DecodedAudio audio = new DecodedAudio(16000, 1, new float[][] {samples}, "float32");
        assertTrue(AudioNormalizer.toMono16k(audio) == samples);
    }

    /** The int16 samples of a canonical 44-byte-header WAV, read independently of the decoder. */
    private static short[] rawS16(byte[] wav) {
        assertEquals("data", new String(wav, 36, 4, java.nio.charset.StandardCharsets.US_ASCII));
        int count = (wav.length - 44) / 2;
        short[] out = new short[count];
        java.nio.ByteBuffer.wrap(wav, 44, count * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(out);
        return out;
    }

    /** Values that are not numerically equal (torch's -0.0 equals our 0.0). */
    private static int countDiffering(float[] expected, float[] actual) {
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                count++;
            }
        }
        return count;
    }
}
