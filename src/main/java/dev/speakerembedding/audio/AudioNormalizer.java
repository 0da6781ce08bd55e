package dev.speakerembedding.audio;

/**
 * speechbrain's {@code AudioNormalizer(sample_rate=16000, mix="avg-to-mono")}: every channel is resampled to
 * 16 kHz first, then the channels are averaged.
 */
public final class AudioNormalizer {

    /** The sample rate the ECAPA-TDNN front end expects, in Hz. */
    public static final int TARGET_SAMPLE_RATE_HZ = 16000;

    private AudioNormalizer() {
    }

    /**
     * Mono 16 kHz samples, full scale 1.0. For mono input already at 16 kHz this is the decoded channel array
     * itself (not a copy), which callers must not modify.
     *
     * <p>The average follows torch.mean over the channel dimension in float32: the channels are summed in
     * order and the sum is divided by the channel count, so stereo gives (L + R) / 2 exactly as torch rounds it.
     */
    public static float[] toMono16k(DecodedAudio audio) {
        int channelCount = audio.channelCount();
        int fromHz = audio.sampleRateHz();
        if (channelCount == 1) {
            float[] channel = audio.channels()[0];
            return fromHz == TARGET_SAMPLE_RATE_HZ ? channel : Resampler.resample(channel, fromHz, TARGET_SAMPLE_RATE_HZ);
        }
        float[] sum = null;
        for (int c = 0; c < channelCount; c++) {
            float[] channel = audio.channels()[c];
            float[] resampled = fromHz == TARGET_SAMPLE_RATE_HZ
                    ? channel
                    : Resampler.resample(channel, fromHz, TARGET_SAMPLE_RATE_HZ);
            if (sum == null) {
                sum = resampled == channel ? channel.clone() : resampled;
            } else {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += resampled[i];
                }
            }
        }
        float count = channelCount;
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= count;
        }
        return sum;
    }
}
