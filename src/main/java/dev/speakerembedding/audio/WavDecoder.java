package dev.speakerembedding.audio;

import dev.speakerembedding.audio.AudioFormatException.Reason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Decodes RIFF/WAVE files the way torchaudio 0.13's sox_io backend (libsox 14.4.2) does, so that the samples are
 * bit-identical to what speechbrain sees.
 *
 * <p>sox turns every stored sample into a signed 32-bit value and torchaudio converts that to float32 by rounding
 * half-up to a multiple of 128 and dividing by 2^31 (values above 2^31-65 become exactly 1.0). 8-, 16- and 24-bit
 * PCM therefore decode exactly, while 32-bit integers and floats land on a 2^-24 grid and floats beyond +-1 clip.
 *
 * <p>Policy for a data chunk that declares more bytes than the file holds (a truncated upload, or a streaming
 * writer's placeholder such as 0xFFFFFFFF): like sox, the whole frames that are present are decoded. Nothing is
 * ever allocated from a declared size; the sample limit applies to the samples actually present.
 */
public final class WavDecoder {

    /** Lowest sample rate accepted, in Hz. */
    public static final int MIN_SAMPLE_RATE_HZ = 1000;
    /** Highest sample rate accepted, in Hz. */
    public static final int MAX_SAMPLE_RATE_HZ = 768000;

    private static final int RIFF_HEADER_BYTES = 12;
    private static final int CHUNK_HEADER_BYTES = 8;
    private static final int BASIC_FMT_BYTES = 16;
    private static final int EXTENSIBLE_FMT_BYTES = 40;
    private static final int EXTENSIBLE_EXTENSION_BYTES = 22;

    private static final int WAVE_FORMAT_PCM = 0x0001;
    private static final int WAVE_FORMAT_IEEE_FLOAT = 0x0003;
    private static final int WAVE_FORMAT_EXTENSIBLE = 0xFFFE;

    /** KSDATAFORMAT_SUBTYPE_* GUIDs are the format tag followed by these 14 fixed bytes. */
    private static final byte[] SUBFORMAT_GUID_TAIL = {
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71
    };

    private static final int SOX_CLIP_THRESHOLD = Integer.MAX_VALUE - 64;
    private static final float INV_2_POW_31 = 1.0f / 2147483648.0f;
    /** A little-endian 16-bit read as one load (the JIT does not merge two byte loads). */
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class,
            ByteOrder.LITTLE_ENDIAN);

    private WavDecoder() {
    }

    private enum Encoding {
        PCM_U8("pcm_u8", 1),
        PCM_S16LE("pcm_s16le", 2),
        PCM_S24LE("pcm_s24le", 3),
        PCM_S32LE("pcm_s32le", 4),
        FLOAT32("float32", 4),
        FLOAT64("float64", 8);

        final String label;
        final int bytesPerSample;

        Encoding(String label, int bytesPerSample) {
            this.label = label;
            this.bytesPerSample = bytesPerSample;
        }
    }

    private record Format(Encoding encoding, int channelCount, int sampleRateHz, int blockAlign) {
    }

    /** Decodes a complete WAV file without a size limit (the input array already bounds the work). */
    public static DecodedAudio decode(byte[] wav) throws AudioFormatException {
        return decode(wav, Long.MAX_VALUE);
    }

    /**
     * Decodes a complete WAV file, refusing with {@link Reason#TOO_LARGE} before allocating any sample arrays if
     * it holds more than {@code maxSampleCount} samples (frames times channels).
     */
    public static DecodedAudio decode(byte[] wav, long maxSampleCount) throws AudioFormatException {
        Objects.requireNonNull(wav, "wav");
        if (maxSampleCount < 0) {
            throw new IllegalArgumentException("maxSampleCount must be non-negative, got " + maxSampleCount);
        }
        checkRiffHeader(wav);
        Format format = null;
        long position = RIFF_HEADER_BYTES;
        while (true) {
            long remaining = wav.length - position;
            if (remaining <= 0) {
                throw new AudioFormatException(Reason.MALFORMED, format == null
                        ? "no fmt chunk: the file ends at byte " + wav.length + " without one"
                        : "no data chunk: the file ends at byte " + wav.length + " without one");
            }
            if (remaining < CHUNK_HEADER_BYTES) {
                throw new AudioFormatException(Reason.TRUNCATED, "file ends inside a chunk header at byte "
                        + position + " (" + remaining + " of 8 bytes present) before any "
                        + (format == null ? "fmt" : "data") + " chunk");
            }
            int at = (int) position;
            String id = fourCc(wav, at);
            long declared = u32(wav, at + 4);
            long body = position + CHUNK_HEADER_BYTES;
            long available = wav.length - body;
            switch (id) {
                case "fmt " -> {
                    if (format != null) {
                        throw new AudioFormatException(Reason.MALFORMED, "second fmt chunk at byte " + position);
                    }
                    if (declared > available) {
                        throw new AudioFormatException(Reason.TRUNCATED, "fmt chunk declares " + declared
                                + " bytes but only " + available + " follow");
                    }
                    format = parseFormat(wav, (int) body, (int) declared);
                }
                case "data" -> {
                    if (format == null) {
                        throw new AudioFormatException(Reason.MALFORMED,
                                "data chunk at byte " + position + " comes before any fmt chunk");
                    }
                    return decodeSamples(wav, format, (int) body, Math.min(declared, available), maxSampleCount);
                }
                default -> {
                    if (declared > available) {
                        throw new AudioFormatException(Reason.TRUNCATED, "chunk '" + id + "' at byte " + position
                                + " declares " + declared + " bytes but only " + available
                                + " follow, and no data chunk came before it");
                    }
                }
            }
            // RIFF chunks are word aligned: an odd-sized chunk is followed by one pad byte.
            position = body + declared + (declared & 1);
        }
    }

    private static void checkRiffHeader(byte[] wav) throws AudioFormatException {
        if (wav.length == 0) {
            throw new AudioFormatException(Reason.TRUNCATED, "input is empty (0 bytes)");
        }
        byte[] riff = {'R', 'I', 'F', 'F'};
        int prefix = Math.min(4, wav.length);
        for (int i = 0; i < prefix; i++) {
            if (wav[i] != riff[i]) {
                String start = fourCc(wav, 0);
                if (start.equals("RIFX")) {
                    throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "big-endian RIFX files are not supported");
                }
                if (start.equals("RF64")) {
                    throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "RF64 (64-bit WAV) files are not supported");
                }
                throw new AudioFormatException(Reason.MALFORMED, "not a RIFF file: starts with '" + start + "'");
            }
        }
        if (wav.length < RIFF_HEADER_BYTES) {
            throw new AudioFormatException(Reason.TRUNCATED, "input is " + wav.length
                    + " bytes, shorter than the 12-byte RIFF header");
        }
        String form = fourCc(wav, 8);
        if (!form.equals("WAVE")) {
            throw new AudioFormatException(Reason.MALFORMED, "RIFF form type is '" + form + "', not 'WAVE'");
        }
    }

    private static Format parseFormat(byte[] wav, int body, int size) throws AudioFormatException {
        if (size < BASIC_FMT_BYTES) {
            throw new AudioFormatException(Reason.MALFORMED, "fmt chunk is " + size + " bytes, needs at least 16");
        }
        int tag = u16(wav, body);
        int channelCount = u16(wav, body + 2);
        long sampleRateHz = u32(wav, body + 4);
        int blockAlign = u16(wav, body + 12);
        int bitsPerSample = u16(wav, body + 14);
        if (channelCount == 0) {
            throw new AudioFormatException(Reason.MALFORMED, "fmt chunk declares 0 channels");
        }
        if (sampleRateHz == 0) {
            throw new AudioFormatException(Reason.MALFORMED, "fmt chunk declares a sample rate of 0 Hz");
        }
        if (sampleRateHz < MIN_SAMPLE_RATE_HZ || sampleRateHz > MAX_SAMPLE_RATE_HZ) {
            throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "sample rate " + sampleRateHz
                    + " Hz is outside the supported " + MIN_SAMPLE_RATE_HZ + ".." + MAX_SAMPLE_RATE_HZ + " Hz");
        }
        if (bitsPerSample == 0) {
            throw new AudioFormatException(Reason.MALFORMED, "fmt chunk declares 0 bits per sample");
        }
        int effectiveTag = tag;
        if (tag == WAVE_FORMAT_EXTENSIBLE) {
            effectiveTag = extensibleSubFormat(wav, body, size, bitsPerSample);
        }
        Encoding encoding = encodingOf(effectiveTag, bitsPerSample);
        int expectedBlockAlign = channelCount * encoding.bytesPerSample;
        if (blockAlign != expectedBlockAlign) {
            throw new AudioFormatException(Reason.MALFORMED, "fmt chunk declares a block align of " + blockAlign
                    + " bytes but " + channelCount + " channel(s) of " + bitsPerSample + "-bit samples need "
                    + expectedBlockAlign);
        }
        return new Format(encoding, channelCount, (int) sampleRateHz, blockAlign);
    }

    private static int extensibleSubFormat(byte[] wav, int body, int size, int bitsPerSample)
            throws AudioFormatException {
        if (size < EXTENSIBLE_FMT_BYTES) {
            throw new AudioFormatException(Reason.MALFORMED, "WAVE_FORMAT_EXTENSIBLE fmt chunk is " + size
                    + " bytes, needs 40");
        }
        int extensionBytes = u16(wav, body + 16);
        if (extensionBytes < EXTENSIBLE_EXTENSION_BYTES) {
            throw new AudioFormatException(Reason.MALFORMED, "WAVE_FORMAT_EXTENSIBLE extension is "
                    + extensionBytes + " bytes, needs 22");
        }
        int validBits = u16(wav, body + 18);
        if (validBits > bitsPerSample) {
            throw new AudioFormatException(Reason.MALFORMED, "WAVE_FORMAT_EXTENSIBLE declares " + validBits
                    + " valid bits in a " + bitsPerSample + "-bit container");
        }
        int guid = body + 24;
        for (int i = 0; i < SUBFORMAT_GUID_TAIL.length; i++) {
            if (wav[guid + 2 + i] != SUBFORMAT_GUID_TAIL[i]) {
                throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "WAVE_FORMAT_EXTENSIBLE sub-format "
                        + guidText(wav, guid) + " is not a standard PCM or IEEE float GUID");
            }
        }
        return u16(wav, guid);
    }

    private static Encoding encodingOf(int tag, int bitsPerSample) throws AudioFormatException {
        if (tag == WAVE_FORMAT_PCM) {
            return switch (bitsPerSample) {
                case 8 -> Encoding.PCM_U8;
                case 16 -> Encoding.PCM_S16LE;
                case 24 -> Encoding.PCM_S24LE;
                case 32 -> Encoding.PCM_S32LE;
                default -> throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "PCM with "
                        + bitsPerSample + " bits per sample is not supported (8, 16, 24 or 32)");
            };
        }
        if (tag == WAVE_FORMAT_IEEE_FLOAT) {
            return switch (bitsPerSample) {
                case 32 -> Encoding.FLOAT32;
                case 64 -> Encoding.FLOAT64;
                default -> throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, "IEEE float with "
                        + bitsPerSample + " bits per sample is not supported (32 or 64)");
            };
        }
        throw new AudioFormatException(Reason.UNSUPPORTED_ENCODING, String.format(
                "format tag 0x%04X%s is not supported; only PCM and IEEE float are", tag, formatName(tag)));
    }

    private static String formatName(int tag) {
        return switch (tag) {
            case 0x0002 -> " (MS ADPCM)";
            case 0x0006 -> " (A-law)";
            case 0x0007 -> " (mu-law)";
            case 0x0011 -> " (IMA ADPCM)";
            case 0x0031 -> " (GSM 6.10)";
            case 0x0055 -> " (MPEG layer 3)";
            case WAVE_FORMAT_EXTENSIBLE -> " (extensible)";
            default -> "";
        };
    }

    private static DecodedAudio decodeSamples(byte[] wav, Format format, int start, long byteCount,
                                              long maxSampleCount) throws AudioFormatException {
        int channelCount = format.channelCount();
        int frames = (int) (byteCount / format.blockAlign());
        long samples = (long) frames * channelCount;
        if (samples > maxSampleCount) {
            throw new AudioFormatException(Reason.TOO_LARGE, "audio holds " + samples + " samples (" + frames
                    + " frames x " + channelCount + " channels), more than the limit of " + maxSampleCount);
        }
        float[][] channels = new float[channelCount][frames];
        int p = start;
        switch (format.encoding()) {
            case PCM_U8 -> {
                for (int f = 0; f < frames; f++) {
                    for (int c = 0; c < channelCount; c++) {
                        channels[c][f] = ((wav[p++] & 0xff) - 128) * (1.0f / 128.0f);
                    }
                }
            }
            case PCM_S16LE -> {
                // channel by channel: for mono (what most clients send) a plain loop over the bytes, several times
                // faster than the frame-by-frame loop with its inner loop of one
                int stride = 2 * channelCount;
                for (int c = 0; c < channelCount; c++) {
                    float[] out = channels[c];
                    int q = start + 2 * c;
                    for (int f = 0; f < frames; f++, q += stride) {
                        out[f] = (short) SHORT_LE.get(wav, q) * (1.0f / 32768.0f);
                    }
                }
            }
            case PCM_S24LE -> {
                for (int f = 0; f < frames; f++) {
                    for (int c = 0; c < channelCount; c++) {
                        int value = (wav[p] & 0xff) | ((wav[p + 1] & 0xff) << 8) | (wav[p + 2] << 16);
                        channels[c][f] = value * (1.0f / 8388608.0f);
                        p += 3;
                    }
                }
            }
            case PCM_S32LE -> {
                for (int f = 0; f < frames; f++) {
                    for (int c = 0; c < channelCount; c++) {
                        channels[c][f] = soxToFloat(s32(wav, p));
                        p += 4;
                    }
                }
            }
            case FLOAT32 -> {
                for (int f = 0; f < frames; f++) {
                    for (int c = 0; c < channelCount; c++) {
                        channels[c][f] = soxToFloat(floatToSox(Float.intBitsToFloat(s32(wav, p))));
                        p += 4;
                    }
                }
            }
            case FLOAT64 -> {
                for (int f = 0; f < frames; f++) {
                    for (int c = 0; c < channelCount; c++) {
                        long bits = (s32(wav, p) & 0xffffffffL) | ((long) s32(wav, p + 4) << 32);
                        channels[c][f] = soxToFloat(floatToSox(Double.longBitsToDouble(bits)));
                        p += 8;
                    }
                }
            }
            default -> throw new IllegalStateException("unhandled encoding " + format.encoding());
        }
        return new DecodedAudio(format.sampleRateHz(), channelCount, channels, format.encoding().label);
    }

    /**
     * sox's float to 32-bit sample conversion: scale by 2^31, truncate toward zero, saturate. Java's double to int
     * cast does exactly that (and maps NaN to 0, i.e. silence).
     */
    static int floatToSox(double value) {
        return (int) (value * 2147483648.0);
    }

    /** torchaudio's sox sample to float32: round half-up to a multiple of 128, divide by 2^31, clip to +1. */
    static float soxToFloat(int sample) {
        if (sample > SOX_CLIP_THRESHOLD) {
            return 1.0f;
        }
        return ((sample + 64) & ~127) * INV_2_POW_31;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | ((b[at + 1] & 0xff) << 8);
    }

    private static int s32(byte[] b, int at) {
        return (b[at] & 0xff) | ((b[at + 1] & 0xff) << 8) | ((b[at + 2] & 0xff) << 16) | (b[at + 3] << 24);
    }

    private static long u32(byte[] b, int at) {
        return s32(b, at) & 0xffffffffL;
    }

    /** Four bytes as text for messages, with non-printable bytes escaped (they come from untrusted input). */
    private static String fourCc(byte[] b, int at) {
        StringBuilder text = new StringBuilder(4);
        for (int i = at; i < Math.min(at + 4, b.length); i++) {
            int c = b[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
                text.append((char) c);
            } else {
                text.append(String.format("\\x%02X", c));
            }
        }
        return text.toString();
    }

    private static String guidText(byte[] b, int at) {
        StringBuilder text = new StringBuilder(36);
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                text.append('-');
            }
            text.append(String.format("%02X", b[at + i] & 0xff));
        }
        return text.toString();
    }
}
