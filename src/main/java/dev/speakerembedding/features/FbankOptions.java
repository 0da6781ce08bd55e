package dev.speakerembedding.features;

/**
 * Parameters of speechbrain's {@code Fbank} front end (STFT power spectrum, triangular mel filterbank, dB).
 *
 * @param sampleRateHz input sample rate in Hz; the mel filterbank spans 0 Hz to half of it
 * @param fftSize      STFT size in samples; it is also the Hamming window length and the centring pad is half of it
 * @param hopLength    distance between successive frames in samples
 * @param melCount     number of mel bands (output values per frame)
 * @param topDb        dynamic range in dB kept per utterance: values below (maximum - topDb) are raised to it
 * @param minPower     floor applied to the linear mel power before taking 10*log10 (power units, not dB)
 */
public record FbankOptions(int sampleRateHz, int fftSize, int hopLength, int melCount, double topDb,
                           double minPower) {

    public FbankOptions {
        if (sampleRateHz <= 0) {
            throw new IllegalArgumentException("sampleRateHz must be positive, got " + sampleRateHz);
        }
        if (fftSize < 2 || fftSize % 2 != 0) {
            throw new IllegalArgumentException("fftSize must be even and at least 2, got " + fftSize);
        }
        if (hopLength <= 0) {
            throw new IllegalArgumentException("hopLength must be positive, got " + hopLength);
        }
        if (melCount <= 0) {
            throw new IllegalArgumentException("melCount must be positive, got " + melCount);
        }
        if (!(topDb >= 0) || Double.isInfinite(topDb)) {
            throw new IllegalArgumentException("topDb must be finite and non-negative, got " + topDb);
        }
        if (!(minPower > 0) || Double.isInfinite(minPower)) {
            throw new IllegalArgumentException("minPower must be finite and positive, got " + minPower);
        }
    }

    /** speechbrain {@code Fbank(n_mels=80)} at 16 kHz: 25 ms window, 10 ms hop, 80 dB range, 1e-10 floor. */
    public static FbankOptions speechbrainDefaults() {
        return new FbankOptions(16000, 400, 160, 80, 80.0, 1e-10);
    }
}
