package dev.speakerembedding.audio;

import dev.speakerembedding.testing.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The 13 conformance inputs with the formats listed in MANIFEST.json. */
public final class ConformanceInputs {

    /**
     * @param stem          file name without ".wav"
     * @param sampleRateHz  stored sample rate
     * @param channelCount  stored channels
     * @param encoding      expected {@link DecodedAudio#encoding()}
     * @param frameCount    stored frames
     * @param samples16k    samples after load_audio (resampling and mixing)
     */
    public record Input(String stem, int sampleRateHz, int channelCount, String encoding, int frameCount,
                        int samples16k) {

        public Path wavPath() {
            return Npy.conformanceDir().resolve("inputs/" + stem + ".wav");
        }

        public byte[] wavBytes() {
            try {
                return Files.readAllBytes(wavPath());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** 16-bit PCM already at 16 kHz mono: speechbrain ships no wav16k file for these. */
        public boolean isPlain16kMono16Bit() {
            return sampleRateHz == 16000 && channelCount == 1 && encoding.equals("pcm_s16le");
        }

        public Path expected(String relative) {
            return Npy.conformanceDir().resolve("expected/" + relative.replace("<stem>", stem));
        }

        @Override
        public String toString() {
            return stem;
        }
    }

    public static final List<Input> ALL = List.of(
            new Input("chirp_1s", 16000, 1, "pcm_s16le", 16000, 16000),
            new Input("noise_3s", 16000, 1, "pcm_s16le", 48000, 48000),
            new Input("silence_1s_16k_s16", 16000, 1, "pcm_s16le", 16000, 16000),
            new Input("sines_7p3s", 16000, 1, "pcm_s16le", 116800, 116800),
            new Input("speech_0p25s_16k_s16", 16000, 1, "pcm_s16le", 4000, 4000),
            new Input("speech_16k_s32_mono", 16000, 1, "pcm_s32le", 29745, 29745),
            new Input("speech_16k_u8_mono", 16000, 1, "pcm_u8", 29869, 29869),
            new Input("speech_22k05_f32_mono", 22050, 1, "float32", 42522, 30855),
            new Input("speech_44k1_s16_stereo", 44100, 2, "pcm_s16le", 80196, 29097),
            new Input("speech_48k_s24_mono_extensible", 48000, 1, "pcm_s24le", 135105, 45035),
            new Input("speech_8k_s16_mono", 8000, 1, "pcm_s16le", 24116, 48232),
            new Input("speech_espeak_en", 16000, 1, "pcm_s16le", 117065, 117065),
            new Input("speech_espeak_en_f3", 16000, 1, "pcm_s16le", 71675, 71675));

    private ConformanceInputs() {
    }

    public static List<Input> all() {
        return ALL;
    }
}
