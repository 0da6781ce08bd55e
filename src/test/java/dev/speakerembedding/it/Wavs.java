package dev.speakerembedding.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** WAV files built in memory for the API tests: well-formed synthetic speech stand-ins and deliberately broken ones. */
final class Wavs {

    private Wavs() {
    }

    /**
     * A 16-bit PCM WAV whose header fields can be set to anything.
     *
     * @param channels        the fmt chunk's channel count
     * @param sampleRateHz    the fmt chunk's sample rate
     * @param formatTag       1 PCM, 6 A-law, ...
     * @param dataSizeField   what the data chunk header claims, or -1 for the real size
     * @param samples         interleaved 16-bit samples
     */
    static byte[] pcm16(int channels, long sampleRateHz, int formatTag, long dataSizeField, short[] samples) {
        int dataBytes = samples.length * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes);
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        b.putShort((short) formatTag).putShort((short) channels).putInt((int) sampleRateHz);
        b.putInt((int) (sampleRateHz * channels * 2)).putShort((short) (channels * 2)).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII))
                .putInt((int) (dataSizeField >= 0 ? dataSizeField : dataBytes));
        for (short s : samples) {
            b.putShort(s);
        }
        return b.array();
    }

    /** Mono 16-bit PCM at {@code sampleRateHz}. */
    static byte[] mono(int sampleRateHz, short[] samples) {
        return pcm16(1, sampleRateHz, 1, -1, samples);
    }

    /**
     * {@code count} samples of a voiced-like signal: two harmonics with a slow vibrato plus a little deterministic
     * noise, so it is neither silent nor trivially periodic.
     */
    static short[] signal(int count, int sampleRateHz) {
        short[] out = new short[count];
        long seed = 12345;
        for (int i = 0; i < count; i++) {
            double t = i / (double) sampleRateHz;
            double f0 = 140 + 20 * Math.sin(2 * Math.PI * 3 * t);
            double v = 0.3 * Math.sin(2 * Math.PI * f0 * t) + 0.15 * Math.sin(2 * Math.PI * 2.5 * f0 * t);
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            v += 0.02 * ((seed >>> 40) / (double) (1L << 24) - 0.5);
            out[i] = (short) Math.round(v * 32767);
        }
        return out;
    }

    /**
     * {@code seconds} of {@link #signal} as unsigned 8-bit PCM at {@code sampleRateHz}: a small upload that still
     * costs a full {@code seconds} of inference once resampled to 16 kHz.
     */
    static byte[] compactSpeechLike(double seconds, int sampleRateHz) {
        short[] samples = signal((int) Math.round(seconds * sampleRateHz), sampleRateHz);
        ByteBuffer b = ByteBuffer.allocate(44 + samples.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples.length);
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16);
        b.putShort((short) 1).putShort((short) 1).putInt(sampleRateHz).putInt(sampleRateHz).putShort((short) 1)
                .putShort((short) 8);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples.length);
        for (short s : samples) {
            b.put((byte) ((s >> 8) + 128));
        }
        return b.array();
    }

    /** {@code seconds} of {@link #signal} as 16 kHz mono 16-bit PCM. */
    static byte[] speechLike(double seconds) {
        return mono(16000, signal((int) Math.round(seconds * 16000), 16000));
    }

    /** {@code wav} followed by zero bytes up to {@code totalBytes} (ignored after the data chunk, as by sox). */
    static byte[] padded(byte[] wav, int totalBytes) {
        return Arrays.copyOf(wav, totalBytes);
    }

    /** The first {@code bytes} of {@code wav}. */
    static byte[] cut(byte[] wav, int bytes) {
        return Arrays.copyOf(wav, bytes);
    }
}
