package dev.speakerembedding.audio;

/**
 * The mono signal of a decoded file at its own sample rate: the channels averaged sample by sample (summed in
 * channel order in float32, then divided by the channel count, as {@link AudioNormalizer} mixes after resampling).
 * Models fed through sherpa-onnx's front end resample the mono signal once, where sherpa-onnx itself would keep
 * only the first channel.
 */
public final class ChannelAverage {

    private ChannelAverage() {
    }

    /** The average of all channels; for mono, the decoded channel array itself (not a copy: do not modify it). */
    public static float[] mono(DecodedAudio audio) {
        float[][] channels = audio.channels();
        if (channels.length == 1) {
            return channels[0];
        }
        float[] sum = channels[0].clone();
        for (int c = 1; c < channels.length; c++) {
            float[] channel = channels[c];
            for (int i = 0; i < sum.length; i++) {
                sum[i] += channel[i];
            }
        }
        float count = channels.length;
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= count;
        }
        return sum;
    }
}
