package dev.speakerembedding.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ChannelAverageTest {

    @Test
    void channelsAreAveragedAtTheFilesRate() {
        float[][] channels = {{0.5f, -1f, 0.25f}, {0.25f, 1f, -0.75f}, {0f, 0f, 0.2f}};
        DecodedAudio audio = new DecodedAudio(44100, 3, channels, "pcm_s16le");
        float[] mono = ChannelAverage.mono(audio);
        assertArrayEquals(new float[] {(0.5f + 0.25f + 0f) / 3, 0f, (0.25f - 0.75f + 0.2f) / 3}, mono, 0f);
        assertArrayEquals(new float[] {0.5f, -1f, 0.25f}, channels[0], 0f, "the decoded channels are untouched");
    }

    @Test
    void monoIsTheChannelItself() {
        float[][] channels = {{0.1f, 0.2f}};
        assertSame(channels[0], ChannelAverage.mono(new DecodedAudio(16000, 1, channels, "pcm_s16le")));
    }
}
