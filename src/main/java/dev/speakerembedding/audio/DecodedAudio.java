package dev.speakerembedding.audio;

/**
 * Decoded PCM audio, one float array per channel, full scale 1.0.
 *
 * <p>The arrays are shared, not copied: decoded audio can be tens of megabytes and is handed straight to the
 * resampler, so callers must treat them as read-only.
 *
 * @param sampleRateHz sample rate in Hz
 * @param channelCount number of channels, equal to {@code channels.length}
 * @param channels     samples as {@code channels[channel][frame]}; all channels have the same length
 * @param encoding     the stored sample format: pcm_u8, pcm_s16le, pcm_s24le, pcm_s32le, float32 or float64
 */
public record DecodedAudio(int sampleRateHz, int channelCount, float[][] channels, String encoding) {

    public DecodedAudio {
        if (sampleRateHz <= 0) {
            throw new IllegalArgumentException("sampleRateHz must be positive, got " + sampleRateHz);
        }
        if (channelCount < 1 || channels == null || channels.length != channelCount) {
            throw new IllegalArgumentException("channelCount " + channelCount + " does not match "
                    + (channels == null ? "null" : channels.length + " channel arrays"));
        }
        for (int c = 1; c < channelCount; c++) {
            if (channels[c].length != channels[0].length) {
                throw new IllegalArgumentException("channel " + c + " has " + channels[c].length
                        + " frames but channel 0 has " + channels[0].length);
            }
        }
    }

    /** Samples per channel. */
    public int frameCount() {
        return channels[0].length;
    }

    public double durationSeconds() {
        return frameCount() / (double) sampleRateHz;
    }
}
