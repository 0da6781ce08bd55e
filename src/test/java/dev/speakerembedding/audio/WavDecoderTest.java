package dev.speakerembedding.audio;

import static dev.speakerembedding.audio.WavBuilder.EXTENSIBLE;
import static dev.speakerembedding.audio.WavBuilder.IEEE_FLOAT;
import static dev.speakerembedding.audio.WavBuilder.PCM;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.speakerembedding.audio.AudioFormatException.Reason;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WavDecoderTest {

    private static final float TWO_POW_M31 = 1.0f / 2147483648.0f;
    private static final int MUTATIONS = 5000;

    // ---- layouts with known answers ----

    @Test
    void unsigned8BitIsOffsetBy128AndScaledBy128() throws Exception {
        byte[] wav = new WavBuilder().format(PCM, 8).data(new byte[] {0, 64, (byte) 128, (byte) 192, (byte) 255}).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("pcm_u8", audio.encoding());
        assertArrayEquals(new float[] {-1f, -0.5f, 0f, 0.5f, 127f / 128f}, audio.channels()[0]);
    }

    @Test
    void signed16BitIsDividedBy32768() throws Exception {
        byte[] wav = new WavBuilder().format(PCM, 16).data(WavBuilder.s16(-32768, -16384, -1, 0, 1, 32767)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("pcm_s16le", audio.encoding());
        assertArrayEquals(new float[] {-1f, -0.5f, -1f / 32768, 0f, 1f / 32768, 32767f / 32768}, audio.channels()[0]);
    }

    @Test
    void signed24BitIsDividedBy2Pow23() throws Exception {
        byte[] wav = new WavBuilder().format(PCM, 24).data(WavBuilder.s24(-8388608, -1, 0, 1, 8388607)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("pcm_s24le", audio.encoding());
        assertArrayEquals(new float[] {-1f, -1f / 8388608, 0f, 1f / 8388608, 8388607f / 8388608}, audio.channels()[0]);
    }

    @Test
    void signed32BitRoundsHalfUpToMultiplesOf128AndClipsNearFullScale() throws Exception {
        byte[] wav = new WavBuilder().format(PCM, 32).data(WavBuilder.s32(
                Integer.MIN_VALUE, -65, -64, -1, 0, 63, 64, 191, 192, 2147483583, 2147483584, Integer.MAX_VALUE))
                .build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("pcm_s32le", audio.encoding());
        assertArrayEquals(new float[] {
            -1f, -128 * TWO_POW_M31, 0f, 0f, 0f, 0f, 128 * TWO_POW_M31, 128 * TWO_POW_M31, 256 * TWO_POW_M31,
            1f - 0x1p-24f, 1f, 1f}, audio.channels()[0]);
    }

    @Test
    void float32IsQuantisedTo2Pow24GridAndClipped() throws Exception {
        byte[] wav = new WavBuilder().format(IEEE_FLOAT, 32)
                .data(WavBuilder.f32(0.5f, -0.25f, 0.1f, 1e-9f, 1.0f, 1.5f, -2f, Float.NaN)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("float32", audio.encoding());
        // 0.1f * 2^31 = 214748368 rounds half-up to 1677722 * 128; 1e-9 * 2^31 truncates to 2, which rounds to 0.
        assertArrayEquals(new float[] {0.5f, -0.25f, 1677722 * 0x1p-24f, 0f, 1f, 1f, -1f, 0f}, audio.channels()[0]);
    }

    @Test
    void float64IsTruncatedToSoxSamplesThenQuantised() throws Exception {
        byte[] wav = new WavBuilder().format(IEEE_FLOAT, 64).data(WavBuilder.f64(0.5, -1.0, 3.0, 0.1, -0.1)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("float64", audio.encoding());
        assertArrayEquals(new float[] {0.5f, -1f, 1f, 1677722 * 0x1p-24f, -1677722 * 0x1p-24f}, audio.channels()[0]);
    }

    @Test
    void extensiblePcmDecodesLikePlainPcm() throws Exception {
        byte[] wav = new WavBuilder().extensible(PCM, 24, 24).channels(2).sampleRate(48000)
                .data(WavBuilder.s24(4194304, -4194304, 1, -1)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals(48000, audio.sampleRateHz());
        assertEquals("pcm_s24le", audio.encoding());
        assertArrayEquals(new float[] {0.5f, 1f / 8388608}, audio.channels()[0]);
        assertArrayEquals(new float[] {-0.5f, -1f / 8388608}, audio.channels()[1]);
    }

    @Test
    void extensibleFloatDecodesLikePlainFloat() throws Exception {
        byte[] wav = new WavBuilder().extensible(IEEE_FLOAT, 32, 32).data(WavBuilder.f32(0.25f, -0.75f)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals("float32", audio.encoding());
        assertArrayEquals(new float[] {0.25f, -0.75f}, audio.channels()[0]);
    }

    @Test
    void threeChannelsAreDeinterleaved() throws Exception {
        byte[] wav = new WavBuilder().channels(3).data(WavBuilder.s16(1, 2, 3, 4, 5, 6)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertEquals(3, audio.channelCount());
        assertEquals(2, audio.frameCount());
        assertArrayEquals(new float[] {1f / 32768, 4f / 32768}, audio.channels()[0]);
        assertArrayEquals(new float[] {2f / 32768, 5f / 32768}, audio.channels()[1]);
        assertArrayEquals(new float[] {3f / 32768, 6f / 32768}, audio.channels()[2]);
    }

    @Test
    void unknownOddSizedChunksAreSkippedWithTheirPadByte() throws Exception {
        byte[] wav = new WavBuilder()
                .chunkBeforeFmt("junk", new byte[] {1, 2, 3})
                .chunkBeforeData("LIST", "INFOISFT\u0005\u0000\u0000\u0000Lavf\u0000".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
                .chunkBeforeData("fact", WavBuilder.le32(2))
                .chunkBeforeData("odd!", new byte[] {9})
                .data(WavBuilder.s16(100, -100)).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertArrayEquals(new float[] {100f / 32768, -100f / 32768}, audio.channels()[0]);
    }

    @Test
    void emptyDataChunkDecodesToZeroFrames() throws Exception {
        DecodedAudio audio = WavDecoder.decode(new WavBuilder().data(new byte[0]).build());
        assertEquals(0, audio.frameCount());
        assertEquals(0.0, audio.durationSeconds());
    }

    @Test
    void oneSampleFileDecodesToOneFrame() throws Exception {
        DecodedAudio audio = WavDecoder.decode(new WavBuilder().data(WavBuilder.s16(-2)).build());
        assertArrayEquals(new float[] {-2f / 32768}, audio.channels()[0]);
    }

    @Test
    void trailingPartialFrameIsIgnored() throws Exception {
        DecodedAudio audio = WavDecoder.decode(new WavBuilder().channels(2).data(new byte[] {1, 0, 2, 0, 3}).build());
        assertEquals(1, audio.frameCount());
    }

    @Test
    void dataChunkLongerThanTheFileDecodesTheWholeFramesPresent() throws Exception {
        byte[] wav = new WavBuilder().data(WavBuilder.s16(1, 2, 3)).dataSizeField(1_000_000).build();
        DecodedAudio audio = WavDecoder.decode(wav);
        assertArrayEquals(new float[] {1f / 32768, 2f / 32768, 3f / 32768}, audio.channels()[0]);
    }

    @Test
    void dataSizeAnnouncingFourGigabytesDoesNotAllocateIt() throws Exception {
        byte[] wav = new WavBuilder().channels(2).data(WavBuilder.s16(7, 8, 9)).dataSizeField(0xFFFFFFFFL).build();
        DecodedAudio audio = WavDecoder.decode(wav, 1000);
        assertEquals(1, audio.frameCount(), "only the one whole stereo frame present is decoded");
        assertArrayEquals(new float[] {7f / 32768}, audio.channels()[0]);
    }

    // ---- limits ----

    @Test
    void sampleLimitCountsFramesTimesChannels() throws Exception {
        byte[] wav = new WavBuilder().channels(2).data(new byte[4 * 500]).build();
        assertEquals(500, WavDecoder.decode(wav, 1000).frameCount());
        AudioFormatException e = assertThrows(AudioFormatException.class, () -> WavDecoder.decode(wav, 999));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("1000 samples"), e.getMessage());
    }

    // ---- malformed input ----

    @Test
    void emptyInputIsTruncated() {
        assertRefused(new byte[0], Reason.TRUNCATED, "empty");
    }

    @Test
    void oneByteFileIsTruncatedOrNotRiff() {
        assertRefused(new byte[] {'R'}, Reason.TRUNCATED, "12-byte RIFF header");
        assertRefused(new byte[] {0}, Reason.MALFORMED, "not a RIFF file");
    }

    @Test
    void headerCutInsideTheFmtChunkIsTruncated() {
        byte[] full = new WavBuilder().data(WavBuilder.s16(1, 2)).build();
        assertRefused(Arrays.copyOf(full, 20), Reason.TRUNCATED, "fmt chunk declares 16 bytes but only 0 follow");
        assertRefused(Arrays.copyOf(full, 30), Reason.TRUNCATED, "fmt chunk declares 16 bytes but only 10 follow");
        assertRefused(Arrays.copyOf(full, 16), Reason.TRUNCATED, "inside a chunk header");
    }

    @Test
    void riffThatIsNotWaveIsMalformed() {
        assertRefused(new WavBuilder().formType("AVI ").build(), Reason.MALFORMED, "'AVI ', not 'WAVE'");
    }

    @Test
    void nonRiffInputIsMalformed() {
        assertRefused("ID3\u0003 this is an mp3".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                Reason.MALFORMED, "not a RIFF file");
    }

    @Test
    void bigEndianRifxIsUnsupported() {
        byte[] wav = new WavBuilder().build();
        wav[3] = 'X';
        assertRefused(wav, Reason.UNSUPPORTED_ENCODING, "RIFX");
    }

    @Test
    void missingFmtChunkIsMalformed() {
        assertRefused(new WavBuilder().withoutFmt().data(WavBuilder.s16(1)).build(), Reason.MALFORMED,
                "comes before any fmt chunk");
        assertRefused(new WavBuilder().withoutFmt().withoutData().chunkBeforeFmt("LIST", new byte[4]).build(),
                Reason.MALFORMED, "no fmt chunk");
    }

    @Test
    void missingDataChunkIsMalformed() {
        assertRefused(new WavBuilder().withoutData().build(), Reason.MALFORMED, "no data chunk");
    }

    @Test
    void chunkRunningPastTheEndBeforeDataIsTruncated() {
        byte[] wav = new WavBuilder().withoutData().chunkBeforeData("LIST", new byte[8]).build();
        byte[] cut = Arrays.copyOf(wav, wav.length - 4);
        assertRefused(cut, Reason.TRUNCATED, "chunk 'LIST' at byte 36 declares 8 bytes but only 4 follow");
    }

    @Test
    void zeroChannelsIsMalformed() {
        assertRefused(new WavBuilder().channels(0).blockAlign(0).build(), Reason.MALFORMED,
                "fmt chunk declares 0 channels");
    }

    @Test
    void zeroSampleRateIsMalformed() {
        assertRefused(new WavBuilder().sampleRate(0).build(), Reason.MALFORMED, "sample rate of 0 Hz");
    }

    @Test
    void absurdSampleRatesAreUnsupported() {
        assertRefused(new WavBuilder().sampleRate(999).build(), Reason.UNSUPPORTED_ENCODING, "999 Hz");
        assertRefused(new WavBuilder().sampleRate(768001).build(), Reason.UNSUPPORTED_ENCODING, "768001 Hz");
        assertRefused(new WavBuilder().sampleRate(0xFFFFFFFFL).build(), Reason.UNSUPPORTED_ENCODING, "4294967295 Hz");
    }

    @Test
    void twelveBitPcmIsUnsupported() {
        assertRefused(new WavBuilder().format(PCM, 12).blockAlign(2).build(), Reason.UNSUPPORTED_ENCODING,
                "12 bits per sample");
    }

    @Test
    void sixteenBitFloatIsUnsupported() {
        assertRefused(new WavBuilder().format(IEEE_FLOAT, 16).build(), Reason.UNSUPPORTED_ENCODING,
                "IEEE float with 16 bits");
    }

    @Test
    void zeroBitsIsMalformed() {
        assertRefused(new WavBuilder().format(PCM, 0).blockAlign(2).build(), Reason.MALFORMED, "0 bits per sample");
    }

    @Test
    void compressedFormatsAreUnsupported() {
        assertRefused(new WavBuilder().format(2, 4).blockAlign(256).build(), Reason.UNSUPPORTED_ENCODING,
                "0x0002 (MS ADPCM)");
        assertRefused(new WavBuilder().format(7, 8).build(), Reason.UNSUPPORTED_ENCODING, "mu-law");
    }

    @Test
    void blockAlignThatContradictsChannelsAndBitsIsMalformed() {
        assertRefused(new WavBuilder().channels(2).blockAlign(2).data(WavBuilder.s16(1, 2)).build(),
                Reason.MALFORMED, "block align of 2 bytes but 2 channel(s) of 16-bit samples need 4");
    }

    @Test
    void extensibleWithUnknownSubFormatIsUnsupported() {
        assertRefused(new WavBuilder().extensible(2, 16, 16).build(), Reason.UNSUPPORTED_ENCODING, "0x0002");
        byte[] wav = new WavBuilder().extensible(PCM, 16, 16).build();
        int fmtBody = 12 + 8;
        wav[fmtBody + 24 + 15] = 0x72;
        assertRefused(wav, Reason.UNSUPPORTED_ENCODING, "not a standard PCM or IEEE float GUID");
    }

    @Test
    void extensibleWithMoreValidBitsThanContainerIsMalformed() {
        assertRefused(new WavBuilder().extensible(PCM, 16, 20).build(), Reason.MALFORMED, "20 valid bits");
    }

    @Test
    void extensibleTagWithShortFmtChunkIsMalformed() {
        byte[] fmt = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort((short) EXTENSIBLE).putShort((short) 1).putInt(16000).putInt(32000)
                .putShort((short) 2).putShort((short) 16).array();
        byte[] wav = new WavBuilder().withoutFmt().chunkBeforeFmt("fmt ", fmt).data(WavBuilder.s16(1)).build();
        assertRefused(wav, Reason.MALFORMED, "fmt chunk is 16 bytes, needs 40");
    }

    @Test
    void shortFmtChunkIsMalformed() {
        byte[] wav = new WavBuilder().withoutFmt().withoutData().chunkBeforeFmt("fmt ", new byte[14]).build();
        assertRefused(wav, Reason.MALFORMED, "fmt chunk is 14 bytes");
    }

    @Test
    void nonPrintableChunkIdsAreEscapedInMessages() {
        byte[] wav = new WavBuilder().withoutData().chunkBeforeData("\u0001\u0002ab", new byte[8]).build();
        byte[] cut = Arrays.copyOf(wav, wav.length - 1);
        AudioFormatException e = assertThrows(AudioFormatException.class, () -> WavDecoder.decode(cut));
        assertTrue(e.getMessage().contains("'\\x01\\x02ab'"), e.getMessage());
    }

    // ---- robustness ----

    @Test
    void mutatedHeadersOnlyEverRaiseAudioFormatException() {
        byte[][] seeds = {
            new WavBuilder().channels(2).data(WavBuilder.s16(1, 2, 3, 4, 5, 6)).build(),
            new WavBuilder().extensible(PCM, 24, 24).sampleRate(48000).data(WavBuilder.s24(1, 2, 3)).build(),
            new WavBuilder().format(IEEE_FLOAT, 32).sampleRate(22050).chunkBeforeData("fact", WavBuilder.le32(2))
                    .data(WavBuilder.f32(0.5f, 2f)).build(),
            new WavBuilder().format(PCM, 8).chunkBeforeFmt("junk", new byte[] {1, 2, 3}).data(new byte[] {1, 2}).build(),
        };
        int[] fieldOffsets = {4, 16, 20, 22, 24, 28, 32, 34, 36, 40};
        long[] extremes = {0, 1, 2, 3, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL, 0xFFFEL, 0xFFFFL, 40, 1000, 768001};
        Random random = new Random(20240601L);
        int decoded = 0;
        int refused = 0;
        for (int iteration = 0; iteration < MUTATIONS; iteration++) {
            byte[] wav = seeds[random.nextInt(seeds.length)].clone();
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations && wav.length > 0; m++) {
                switch (random.nextInt(4)) {
                    case 0 -> wav[random.nextInt(Math.min(wav.length, 72))] = (byte) random.nextInt(256);
                    case 1 -> {
                        int at = fieldOffsets[random.nextInt(fieldOffsets.length)];
                        if (at + 4 <= wav.length) {
                            System.arraycopy(WavBuilder.le32(extremes[random.nextInt(extremes.length)]), 0, wav, at,
                                    random.nextBoolean() ? 4 : 2);
                        }
                    }
                    case 2 -> wav = Arrays.copyOf(wav, random.nextInt(wav.length + 1));
                    default -> wav[random.nextInt(wav.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            try {
                DecodedAudio audio = WavDecoder.decode(wav, 1 << 20);
                decoded++;
                assertEquals(audio.channelCount(), audio.channels().length);
                for (float[] channel : audio.channels()) {
                    for (float v : channel) {
                        assertTrue(v >= -1f && v <= 1f, "sample " + v + " outside full scale");
                    }
                }
            } catch (AudioFormatException e) {
                refused++;
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "exception without message");
            } catch (Throwable t) {
                fail("iteration " + iteration + " threw " + t + " for input " + hex(wav), t);
            }
        }
        System.out.printf("mutation loop: " + MUTATIONS + " inputs, %d decoded, %d refused with AudioFormatException%n",
                decoded, refused);
        assertTrue(decoded > 0 && refused > 0, "mutations should both keep some files valid and break others");
    }

    private static void assertRefused(byte[] wav, Reason reason, String messagePart) {
        AudioFormatException e;
        try {
            WavDecoder.decode(wav);
            fail("expected " + reason + " for " + hex(wav));
            return;
        } catch (AudioFormatException caught) {
            e = caught;
        } catch (RuntimeException other) {
            fail("expected AudioFormatException(" + reason + ") but got " + other, other);
            return;
        }
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '" + messagePart + "'");
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 80); i++) {
            text.append(String.format("%02x", bytes[i] & 0xff));
        }
        return text + (bytes.length > 80 ? "... (" + bytes.length + " bytes)" : "");
    }
}
