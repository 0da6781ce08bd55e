package dev.speakerembedding.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Benchmark inputs: real speech (the conformance set's espeak recording and its 44.1 kHz stereo file), looped or
 * cut to an exact length and written as plain PCM WAV files, so every benchmark and the load generator send the
 * same bytes.
 */
final class Clips {

    static final String SPEECH_16K = "speech_espeak_en.wav";
    static final String SPEECH_44K1_STEREO = "speech_44k1_s16_stereo.wav";

    private Clips() {
    }

    /** 16 kHz mono 16-bit PCM, {@code seconds} long: the format most clients send. */
    static byte[] mono16k(Path conformanceDir, double seconds) throws IOException {
        return loop(conformanceDir.resolve("inputs").resolve(SPEECH_16K), seconds);
    }

    /** 44.1 kHz stereo 16-bit PCM (exercises resampling and the channel mean). */
    static byte[] stereo44k1(Path conformanceDir, double seconds) throws IOException {
        return loop(conformanceDir.resolve("inputs").resolve(SPEECH_44K1_STEREO), seconds);
    }

    /** Repeats the PCM payload of a plain 16-bit PCM WAV file to exactly {@code seconds}. */
    static byte[] loop(Path wav, double seconds) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
        int channels = -1;
        int rate = -1;
        int bits = -1;
        byte[] pcm = null;
        int pos = 12;
        while (pos + 8 <= in.limit()) {
            String id = new String(in.array(), pos, 4, StandardCharsets.US_ASCII);
            int size = in.getInt(pos + 4);
            if (id.equals("fmt ")) {
                if (in.getShort(pos + 8) != 1) {
                    throw new IOException(wav + " is not plain PCM");
                }
                channels = in.getShort(pos + 10);
                rate = in.getInt(pos + 12);
                bits = in.getShort(pos + 22);
            } else if (id.equals("data")) {
                pcm = new byte[Math.min(size, in.limit() - pos - 8)];
                System.arraycopy(in.array(), pos + 8, pcm, 0, pcm.length);
            }
            pos += 8 + size + (size & 1);
        }
        if (pcm == null || bits != 16) {
            throw new IOException(wav + ": expected 16-bit PCM with a data chunk");
        }
        int frameBytes = channels * 2;
        long frames = Math.round(seconds * rate);
        byte[] data = new byte[(int) (frames * frameBytes)];
        int usable = pcm.length / frameBytes * frameBytes;
        for (int off = 0; off < data.length; off += usable) {
            System.arraycopy(pcm, 0, data, off, Math.min(usable, data.length - off));
        }
        return wav(rate, channels, data);
    }

    static byte[] wav(int rate, int channels, byte[] pcm16) {
        ByteBuffer out = ByteBuffer.allocate(44 + pcm16.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + pcm16.length)
                .put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1)
                .putShort((short) channels).putInt(rate).putInt(rate * channels * 2)
                .putShort((short) (channels * 2)).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(pcm16.length).put(pcm16);
        return out.array();
    }
}
