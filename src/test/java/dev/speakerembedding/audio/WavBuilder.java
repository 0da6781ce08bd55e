package dev.speakerembedding.audio;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds WAV files byte by byte for decoder tests, including deliberately broken ones. */
final class WavBuilder {

    static final int PCM = 1;
    static final int IEEE_FLOAT = 3;
    static final int EXTENSIBLE = 0xFFFE;

    private int formatTag = PCM;
    private int subFormat = PCM;
    private int channels = 1;
    private long sampleRateHz = 16000;
    private int bitsPerSample = 16;
    private Integer blockAlign;
    private Integer validBits;
    private byte[] data = new byte[0];
    private Long dataSizeField;
    private final ByteArrayOutputStream beforeFmt = new ByteArrayOutputStream();
    private final ByteArrayOutputStream beforeData = new ByteArrayOutputStream();
    private String formType = "WAVE";
    private boolean includeFmt = true;
    private boolean includeData = true;

    WavBuilder format(int tag, int bits) {
        this.formatTag = tag;
        this.bitsPerSample = bits;
        return this;
    }

    WavBuilder extensible(int subFormatTag, int bits, int validBitsPerSample) {
        this.formatTag = EXTENSIBLE;
        this.subFormat = subFormatTag;
        this.bitsPerSample = bits;
        this.validBits = validBitsPerSample;
        return this;
    }

    WavBuilder channels(int count) {
        this.channels = count;
        return this;
    }

    WavBuilder sampleRate(long hz) {
        this.sampleRateHz = hz;
        return this;
    }

    WavBuilder blockAlign(int bytes) {
        this.blockAlign = bytes;
        return this;
    }

    WavBuilder data(byte[] bytes) {
        this.data = bytes.clone();
        return this;
    }

    WavBuilder dataSizeField(long declared) {
        this.dataSizeField = declared;
        return this;
    }

    WavBuilder chunkBeforeFmt(String id, byte[] body) {
        writeChunk(beforeFmt, id, body);
        return this;
    }

    WavBuilder chunkBeforeData(String id, byte[] body) {
        writeChunk(beforeData, id, body);
        return this;
    }

    WavBuilder formType(String type) {
        this.formType = type;
        return this;
    }

    WavBuilder withoutFmt() {
        this.includeFmt = false;
        return this;
    }

    WavBuilder withoutData() {
        this.includeData = false;
        return this;
    }

    byte[] build() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        write(body, formType.getBytes(StandardCharsets.US_ASCII));
        write(body, beforeFmt.toByteArray());
        if (includeFmt) {
            writeChunk(body, "fmt ", fmtBody());
        }
        write(body, beforeData.toByteArray());
        if (includeData) {
            write(body, "data".getBytes(StandardCharsets.US_ASCII));
            write(body, le32(dataSizeField != null ? dataSizeField : data.length));
            write(body, data);
        }
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        write(file, "RIFF".getBytes(StandardCharsets.US_ASCII));
        write(file, le32(body.size()));
        write(file, body.toByteArray());
        return file.toByteArray();
    }

    private byte[] fmtBody() {
        int bytesPerSample = bitsPerSample / 8;
        int align = blockAlign != null ? blockAlign : channels * bytesPerSample;
        boolean ext = formatTag == EXTENSIBLE;
        ByteBuffer b = ByteBuffer.allocate(ext ? 40 : 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) formatTag);
        b.putShort((short) channels);
        b.putInt((int) sampleRateHz);
        b.putInt((int) (sampleRateHz * align));
        b.putShort((short) align);
        b.putShort((short) bitsPerSample);
        if (ext) {
            b.putShort((short) 22);
            b.putShort((short) (validBits != null ? validBits : bitsPerSample));
            b.putInt(channels == 1 ? 4 : 3);
            b.putShort((short) subFormat);
            b.put(new byte[] {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38,
                (byte) 0x9B, 0x71});
        }
        return b.array();
    }

    static void writeChunk(ByteArrayOutputStream out, String id, byte[] body) {
        write(out, id.getBytes(StandardCharsets.US_ASCII));
        write(out, le32(body.length));
        write(out, body);
        if (body.length % 2 == 1) {
            out.write(0);
        }
    }

    static byte[] le32(long value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array();
    }

    static byte[] s16(int... samples) {
        ByteBuffer b = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : samples) {
            b.putShort((short) s);
        }
        return b.array();
    }

    static byte[] s24(int... samples) {
        byte[] out = new byte[samples.length * 3];
        for (int i = 0; i < samples.length; i++) {
            out[3 * i] = (byte) samples[i];
            out[3 * i + 1] = (byte) (samples[i] >> 8);
            out[3 * i + 2] = (byte) (samples[i] >> 16);
        }
        return out;
    }

    static byte[] s32(int... samples) {
        ByteBuffer b = ByteBuffer.allocate(samples.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : samples) {
            b.putInt(s);
        }
        return b.array();
    }

    static byte[] f32(float... samples) {
        ByteBuffer b = ByteBuffer.allocate(samples.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float s : samples) {
            b.putFloat(s);
        }
        return b.array();
    }

    static byte[] f64(double... samples) {
        ByteBuffer b = ByteBuffer.allocate(samples.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double s : samples) {
            b.putDouble(s);
        }
        return b.array();
    }

    private static void write(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes, 0, bytes.length);
    }
}
