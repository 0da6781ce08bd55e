package dev.speakerembedding.audio;

/**
 * How much of a waveform is speech, as {@link EnergyVoiceActivity} estimates it.
 *
 * @param durationSeconds length of the waveform
 * @param speechSeconds   the part of it judged to be speech, from 0 to {@code durationSeconds}
 */
public record SpeechMeasurement(double durationSeconds, double speechSeconds) {

    public SpeechMeasurement {
        if (!(durationSeconds >= 0) || !(speechSeconds >= 0) || speechSeconds > durationSeconds
                || Double.isInfinite(durationSeconds)) {
            throw new IllegalArgumentException("need 0 <= speechSeconds <= durationSeconds (finite), got "
                    + speechSeconds + " of " + durationSeconds);
        }
    }
}
