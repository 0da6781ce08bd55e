package dev.speakerembedding.embedding;

/**
 * Bounds on the audio a request may carry, checked right after decoding (before any model work).
 *
 * @param minSeconds shortest audio accepted (the model itself needs 640 samples at 16 kHz, 0.04 s)
 * @param maxSeconds longest audio accepted
 */
public record AudioLimits(double minSeconds, double maxSeconds) {

    /** Highest sample rate the decoder accepts; bounds the samples a header may announce. */
    private static final long MAX_SAMPLE_RATE_HZ = 768_000;

    public AudioLimits {
        if (!(minSeconds >= 0) || !(maxSeconds > minSeconds)) {
            throw new IllegalArgumentException("need 0 <= minSeconds < maxSeconds, got " + minSeconds + ", " + maxSeconds);
        }
    }

    public static final AudioLimits UNBOUNDED = new AudioLimits(0, 24 * 3600);

    /** Samples per channel a file within the limit can hold at the highest accepted rate. */
    public long maxSamplesPerChannel() {
        return (long) Math.ceil(maxSeconds * MAX_SAMPLE_RATE_HZ);
    }
}
