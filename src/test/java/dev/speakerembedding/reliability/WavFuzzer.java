package dev.speakerembedding.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded, deterministic mutator over valid WAV files: case {@code i} of seed {@code s} is always the same bytes,
 * so any failure is replayed with {@code generate(i)} alone. Mutations aim where a decoder breaks: header fields
 * (format tag, channels, sample rate, block align, bits, the WAVE_FORMAT_EXTENSIBLE extension), chunk sizes (zero,
 * odd, off by one, 2^31, 4 GiB), truncation (mostly inside the header), random bytes and bit flips, chunks inserted,
 * duplicated, reordered or removed, splices of two files, and plain garbage.
 */
final class WavFuzzer {

    /** One generated input: the body, its content type, and what was done to which seed (for the report). */
    record Case(int index, byte[] body, String contentType, String description) {
    }

    private static final long[] INTERESTING_U32 = {0, 1, 2, 3, 7, 8, 15, 16, 17, 18, 39, 40, 41, 255, 256, 4095,
            4096, 65535, 65536, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFF7L, 0xFFFFFFF8L, 0xFFFFFFFEL, 0xFFFFFFFFL};
    private static final int[] INTERESTING_U16 = {0, 1, 2, 3, 6, 7, 8, 12, 16, 17, 24, 31, 32, 33, 48, 64, 127, 128,
            255, 256, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF};
    private static final long[] INTERESTING_RATES = {0, 1, 999, 1000, 1001, 4000, 8000, 11025, 16000, 22050, 44100,
            48000, 96000, 192000, 384000, 767999, 768000, 768001, 0x7FFFFFFFL, 0xFFFFFFFFL};
    private static final String[] CONTENT_TYPES = {"audio/wav", "audio/wav", "audio/wav", "audio/x-wav",
            "application/octet-stream"};

    private final long seed;
    private final List<byte[]> seeds;
    private final List<String> seedNames;

    WavFuzzer(long seed) {
        this.seed = seed;
        this.seeds = new ArrayList<>();
        this.seedNames = new ArrayList<>();
        // Short (0.25-0.4 s) voiced seeds in every layout the decoder supports, so most cases stay cheap to embed.
        addSeed("pcm16-16k-mono", wav(1, 16, 1, 16000, 0.30));
        addSeed("pcm8-8k-mono", wav(1, 8, 1, 8000, 0.40));
        addSeed("pcm24-48k-mono", wav(1, 24, 1, 48000, 0.25));
        addSeed("pcm32-22k-stereo", wav(1, 32, 2, 22050, 0.25));
        addSeed("float32-44k-stereo", wav(3, 32, 2, 44100, 0.25));
        addSeed("float64-16k-mono", wav(3, 64, 1, 16000, 0.30));
        addSeed("extensible-pcm16-16k-3ch", extensible(wav(1, 16, 3, 16000, 0.25), 1, 16));
        addSeed("extensible-float32-32k", extensible(wav(3, 32, 1, 32000, 0.25), 3, 32));
    }

    long seed() {
        return seed;
    }

    List<String> seedNames() {
        return List.copyOf(seedNames);
    }

    private void addSeed(String name, byte[] wav) {
        seedNames.add(name);
        seeds.add(wav);
    }

    /** Case {@code index}: a function of (seed, index) only. */
    Case generate(int index) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L);
        String contentType = CONTENT_TYPES[rnd.nextInt(CONTENT_TYPES.length)];
        int seedIndex = rnd.nextInt(seeds.size());
        byte[] wav = seeds.get(seedIndex).clone();
        StringBuilder description = new StringBuilder(seedNames.get(seedIndex));
        if (rnd.nextInt(50) == 0) {
            // an unmutated seed now and then: the valid path must keep working among the garbage
            return new Case(index, wav, contentType, description.append(" unmutated").toString());
        }
        int mutations = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0);
        for (int m = 0; m < mutations; m++) {
            int op = rnd.nextInt(100);
            if (op < 22) {
                wav = headerField(wav, rnd, description);
            } else if (op < 40) {
                wav = chunkSize(wav, rnd, description);
            } else if (op < 52) {
                wav = truncate(wav, rnd, description);
            } else if (op < 64) {
                wav = randomBytes(wav, rnd, description);
            } else if (op < 72) {
                wav = bitFlips(wav, rnd, description);
            } else if (op < 80) {
                wav = insertChunk(wav, rnd, description);
            } else if (op < 88) {
                wav = restructure(wav, rnd, description);
            } else if (op < 93) {
                byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                int cutA = rnd.nextInt(wav.length + 1);
                int cutB = rnd.nextInt(other.length + 1);
                wav = concat(Arrays.copyOf(wav, cutA), Arrays.copyOfRange(other, cutB, other.length));
                description.append(" splice@").append(cutA).append('+').append(cutB);
            } else if (op < 96) {
                byte[] tail = new byte[rnd.nextInt(4096)];
                rnd.nextBytes(tail);
                wav = concat(wav, tail);
                description.append(" append").append(tail.length);
            } else {
                byte[] garbage = new byte[rnd.nextInt(2048)];
                rnd.nextBytes(garbage);
                if (rnd.nextBoolean() && garbage.length >= 12) {
                    System.arraycopy("RIFF".getBytes(StandardCharsets.US_ASCII), 0, garbage, 0, 4);
                    System.arraycopy("WAVE".getBytes(StandardCharsets.US_ASCII), 0, garbage, 8, 4);
                }
                wav = garbage;
                description.setLength(0);
                description.append("garbage").append(garbage.length);
            }
        }
        return new Case(index, wav, contentType, description.toString());
    }

    // ---- mutations ----

    private static byte[] headerField(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        int fmt = findChunk(wav, "fmt ");
        if (fmt < 0 || fmt + 8 + 16 > wav.length) {
            return randomBytes(wav, rnd, d);
        }
        int body = fmt + 8;
        switch (rnd.nextInt(9)) {
            case 0 -> {
                int v = rnd.nextInt(3) == 0 ? rnd.nextInt(65536) : INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)];
                putU16(wav, body, v);
                d.append(" tag=").append(v);
            }
            case 1 -> {
                int v = INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)];
                putU16(wav, body + 2, v);
                d.append(" channels=").append(v);
            }
            case 2 -> {
                long v = rnd.nextInt(4) == 0 ? rnd.nextLong(1L << 32) : INTERESTING_RATES[rnd.nextInt(INTERESTING_RATES.length)];
                putU32(wav, body + 4, v);
                d.append(" rate=").append(v);
            }
            case 3 -> {
                long v = INTERESTING_U32[rnd.nextInt(INTERESTING_U32.length)];
                putU32(wav, body + 8, v);
                d.append(" byteRate=").append(v);
            }
            case 4 -> {
                int v = INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)];
                putU16(wav, body + 12, v);
                d.append(" blockAlign=").append(v);
            }
            case 5 -> {
                int v = INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)];
                putU16(wav, body + 14, v);
                d.append(" bits=").append(v);
            }
            case 6 -> {
                // channels and block align changed together, so the mismatch check alone cannot catch it
                int channels = INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)];
                int bytes = Math.max(1, u16(wav, body + 14) / 8);
                putU16(wav, body + 2, channels);
                putU16(wav, body + 12, (channels * bytes) & 0xFFFF);
                d.append(" channels+align=").append(channels);
            }
            case 7 -> {
                if (u32(wav, fmt + 4) >= 40 && body + 40 <= wav.length) {
                    int field = rnd.nextInt(4);
                    switch (field) {
                        case 0 -> putU16(wav, body + 16, INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)]);
                        case 1 -> putU16(wav, body + 18, INTERESTING_U16[rnd.nextInt(INTERESTING_U16.length)]);
                        case 2 -> putU32(wav, body + 20, INTERESTING_U32[rnd.nextInt(INTERESTING_U32.length)]);
                        default -> wav[body + 24 + rnd.nextInt(16)] ^= (byte) (1 + rnd.nextInt(255));
                    }
                    d.append(" extensible-field").append(field);
                } else {
                    putU16(wav, body, 0xFFFE);
                    d.append(" tag=extensible-without-extension");
                }
            }
            default -> {
                // sample rate and data size scaled so the audio claims to be very long or very short
                long rate = INTERESTING_RATES[rnd.nextInt(INTERESTING_RATES.length)];
                putU32(wav, body + 4, rate);
                putU32(wav, body + 8, rate * Math.max(1, u16(wav, body + 12)));
                d.append(" rate+byteRate=").append(rate);
            }
        }
        return wav;
    }

    private static byte[] chunkSize(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        List<Integer> chunks = chunkOffsets(wav);
        int which = rnd.nextInt(chunks.size() + 1);
        int at = which == chunks.size() ? 0 : chunks.get(which); // 0: the RIFF size itself
        if (at + 8 > wav.length) {
            return truncate(wav, rnd, d);
        }
        long actual = u32(wav, at + 4);
        long v = switch (rnd.nextInt(6)) {
            case 0 -> actual + 1;
            case 1 -> Math.max(0, actual - 1);
            case 2 -> actual * 2;
            case 3 -> rnd.nextLong(1L << 32);
            default -> INTERESTING_U32[rnd.nextInt(INTERESTING_U32.length)];
        };
        putU32(wav, at + 4, v & 0xFFFFFFFFL);
        d.append(" size[").append(new String(wav, at, 4, StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", "?"))
                .append("]=").append(v & 0xFFFFFFFFL);
        return wav;
    }

    private static byte[] truncate(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        int at = rnd.nextBoolean() ? rnd.nextInt(Math.min(wav.length, 80) + 1) : rnd.nextInt(wav.length + 1);
        d.append(" truncate@").append(at);
        return Arrays.copyOf(wav, at);
    }

    private static byte[] randomBytes(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        if (wav.length == 0) {
            return wav;
        }
        int count = 1 + rnd.nextInt(16);
        int region = rnd.nextBoolean() ? Math.min(wav.length, 80) : wav.length;
        for (int i = 0; i < count; i++) {
            wav[rnd.nextInt(region)] = (byte) rnd.nextInt(256);
        }
        d.append(" bytes").append(count).append(region < wav.length ? "@header" : "");
        return wav;
    }

    private static byte[] bitFlips(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        if (wav.length == 0) {
            return wav;
        }
        int count = 1 + rnd.nextInt(8);
        for (int i = 0; i < count; i++) {
            int bit = rnd.nextInt(wav.length * 8);
            wav[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        d.append(" flips").append(count);
        return wav;
    }

    private static byte[] insertChunk(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        String[] ids = {"LIST", "JUNK", "fact", "bext", "data", "fmt ", "\0\0\0\0", "RIFF"};
        String id = ids[rnd.nextInt(ids.length)];
        int payload = rnd.nextInt(64);
        long declared = rnd.nextInt(3) == 0 ? INTERESTING_U32[rnd.nextInt(INTERESTING_U32.length)] : payload;
        byte[] chunk = new byte[8 + payload];
        System.arraycopy(id.getBytes(StandardCharsets.ISO_8859_1), 0, chunk, 0, 4);
        putU32(chunk, 4, declared);
        for (int i = 8; i < chunk.length; i++) {
            chunk[i] = (byte) rnd.nextInt(256);
        }
        List<Integer> chunks = chunkOffsets(wav);
        int at = chunks.isEmpty() ? Math.min(12, wav.length) : chunks.get(rnd.nextInt(chunks.size()));
        d.append(" insert[").append(id.replaceAll("[^ -~]", "?")).append(",").append(declared).append("]@").append(at);
        return concat(Arrays.copyOf(wav, at), chunk, Arrays.copyOfRange(wav, at, wav.length));
    }

    private static byte[] restructure(byte[] wav, SplittableRandom rnd, StringBuilder d) {
        int fmt = findChunk(wav, "fmt ");
        int data = findChunk(wav, "data");
        if (fmt < 0 || data < 0 || data <= fmt) {
            return bitFlips(wav, rnd, d);
        }
        byte[] header = Arrays.copyOf(wav, fmt);
        byte[] fmtChunk = Arrays.copyOfRange(wav, fmt, data);
        byte[] dataChunk = Arrays.copyOfRange(wav, data, wav.length);
        return switch (rnd.nextInt(4)) {
            case 0 -> {
                d.append(" data-before-fmt");
                yield concat(header, dataChunk, fmtChunk);
            }
            case 1 -> {
                d.append(" two-fmt");
                yield concat(header, fmtChunk, fmtChunk, dataChunk);
            }
            case 2 -> {
                d.append(" no-fmt");
                yield concat(header, dataChunk);
            }
            default -> {
                d.append(" no-data");
                yield concat(header, fmtChunk);
            }
        };
    }

    // ---- WAV building and parsing ----

    /** A voiced, non-silent test signal (a chirp with noise) as a canonical WAV. */
    static byte[] wav(int tag, int bits, int channels, int rate, double seconds) {
        int frames = (int) Math.round(seconds * rate);
        int bytesPerSample = bits / 8;
        ByteBuffer data = ByteBuffer.allocate(frames * channels * bytesPerSample).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom noise = new SplittableRandom(rate * 31L + bits);
        for (int i = 0; i < frames; i++) {
            double t = (double) i / rate;
            double v = 0.5 * Math.sin(2 * Math.PI * (150 + 900 * t) * t) + 0.05 * (noise.nextDouble() - 0.5);
            for (int c = 0; c < channels; c++) {
                double s = v * (1 - 0.1 * c);
                if (tag == 3) {
                    if (bits == 32) {
                        data.putFloat((float) s);
                    } else {
                        data.putDouble(s);
                    }
                } else {
                    switch (bits) {
                        case 8 -> data.put((byte) (128 + Math.round(s * 127)));
                        case 16 -> data.putShort((short) Math.round(s * 32767));
                        case 24 -> {
                            int x = (int) Math.round(s * 8388607);
                            data.put((byte) x).put((byte) (x >> 8)).put((byte) (x >> 16));
                        }
                        default -> data.putInt((int) Math.round(s * 2147483647.0));
                    }
                }
            }
        }
        return riff(fmtChunk(tag, channels, rate, bits), data.array());
    }

    static byte[] fmtChunk(int tag, int channels, long rate, int bits) {
        int blockAlign = channels * (bits / 8);
        ByteBuffer fmt = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        fmt.putShort((short) tag).putShort((short) channels).putInt((int) rate).putInt((int) (rate * blockAlign))
                .putShort((short) blockAlign).putShort((short) bits);
        return fmt.array();
    }

    static byte[] riff(byte[] fmtBody, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32(4 + 8 + fmtBody.length + 8 + data.length + (data.length & 1)));
        out.writeBytes("WAVE".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("fmt ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32(fmtBody.length));
        out.writeBytes(fmtBody);
        out.writeBytes("data".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le32(data.length));
        out.writeBytes(data);
        if ((data.length & 1) == 1) {
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Rewrites a canonical WAV's fmt chunk as WAVE_FORMAT_EXTENSIBLE with {@code subTag}. */
    private static byte[] extensible(byte[] wav, int subTag, int validBits) {
        int fmt = findChunk(wav, "fmt ");
        int data = findChunk(wav, "data");
        byte[] basic = Arrays.copyOfRange(wav, fmt + 8, fmt + 8 + 16);
        ByteBuffer ext = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        ext.put(basic);
        ext.putShort(0, (short) 0xFFFE);
        ext.putShort((short) 22).putShort((short) validBits).putInt(0);
        ext.putShort((short) subTag);
        ext.put(new byte[] {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38,
            (byte) 0x9B, 0x71});
        return riff(ext.array(), Arrays.copyOfRange(wav, data + 8, data + 8 + (int) u32(wav, data + 4)));
    }

    static int findChunk(byte[] wav, String id) {
        for (int at : chunkOffsets(wav)) {
            if (new String(wav, at, 4, StandardCharsets.ISO_8859_1).equals(id)) {
                return at;
            }
        }
        return -1;
    }

    /** Offsets of the chunk headers after the RIFF header, walking the declared sizes while they stay in bounds. */
    static List<Integer> chunkOffsets(byte[] wav) {
        List<Integer> offsets = new ArrayList<>();
        long at = 12;
        while (at + 8 <= wav.length && offsets.size() < 64) {
            offsets.add((int) at);
            long size = u32(wav, (int) at + 4);
            at += 8 + size + (size & 1);
        }
        return offsets;
    }

    static long u32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
    }

    static void putU32(byte[] b, int at, long v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
        b[at + 2] = (byte) (v >> 16);
        b[at + 3] = (byte) (v >> 24);
    }

    static void putU16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    static byte[] le32(long v) {
        byte[] b = new byte[4];
        putU32(b, 0, v);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
