package dev.speakerembedding.profiles;

import java.util.Collection;
import java.util.Objects;

/**
 * When an enrollment may be stored and when a profile is enrolled.
 *
 * <p>Default {@value #DEFAULT_MIN_SPEECH_SECONDS} s of speech in total ({@code ENROLLMENT_MIN_SPEECH_SECONDS}):
 * Azure Speaker Recognition's text-independent verification and identification asked for 20 s of "effective
 * speech (excluding silence and other non-speech frames)" before creating a voiceprint, so people moving from it
 * keep their enrollment flow; and in the speaker-verification literature (NIST SRE, VoxCeleb duration studies)
 * the error rate falls steeply up to about 10 s of enrollment speech and little past 20-30 s, so 20 s buys most
 * of the accuracy while staying a short recording. Several enrollments add up, so two 10 s clips are as good as
 * one 20 s clip, and their mean averages out one session's channel and mood.
 *
 * <p>Default {@value #DEFAULT_MIN_SPEECH_SECONDS_PER_ENROLLMENT} s per enrollment: it refuses silence, clicks
 * and noise, whose embeddings would pull the profile's mean toward nothing; it is not a quality bar (Azure also
 * took single clips from 1 s).
 *
 * <p>Speech totals are sums of measured doubles; a total within {@value #SPEECH_SECONDS_EPSILON} s of the
 * minimum counts as reaching it, so 200 enrollments of 0.1 s reach 20 s whatever the rounding.
 *
 * @param minSpeechSeconds              speech needed in total, under the current model, to be enrolled
 * @param minSpeechSecondsPerEnrollment speech one enrollment must hold to be stored at all
 */
public record EnrollmentPolicy(double minSpeechSeconds, double minSpeechSecondsPerEnrollment) {

    public static final double DEFAULT_MIN_SPEECH_SECONDS = 20.0;
    public static final double DEFAULT_MIN_SPEECH_SECONDS_PER_ENROLLMENT = 1.0;
    /** Public so that the store's count of profiles by state applies the very same rule in SQL. */
    public static final double SPEECH_SECONDS_EPSILON = 1e-6;

    public static final EnrollmentPolicy DEFAULT =
            new EnrollmentPolicy(DEFAULT_MIN_SPEECH_SECONDS, DEFAULT_MIN_SPEECH_SECONDS_PER_ENROLLMENT);

    public EnrollmentPolicy {
        if (!(minSpeechSeconds >= 0) || Double.isInfinite(minSpeechSeconds)) {
            throw new IllegalArgumentException("minSpeechSeconds must be finite and not negative, got "
                    + minSpeechSeconds);
        }
        if (!(minSpeechSecondsPerEnrollment > 0) || Double.isInfinite(minSpeechSecondsPerEnrollment)) {
            throw new IllegalArgumentException("minSpeechSecondsPerEnrollment must be positive and finite, got "
                    + minSpeechSecondsPerEnrollment);
        }
    }

    /**
     * Refuses an enrollment with too little speech, before anything is stored.
     *
     * @throws InsufficientSpeechException when {@code speechSeconds} is below the per-enrollment minimum
     */
    public void checkEnrollment(double speechSeconds) throws InsufficientSpeechException {
        if (!(speechSeconds >= 0) || Double.isInfinite(speechSeconds)) {
            throw new IllegalArgumentException("speechSeconds must be finite and not negative, got " + speechSeconds);
        }
        if (speechSeconds + SPEECH_SECONDS_EPSILON < minSpeechSecondsPerEnrollment) {
            throw new InsufficientSpeechException(speechSeconds, minSpeechSecondsPerEnrollment);
        }
    }

    /**
     * A profile's standing for {@code current}: only enrollments made by {@code current} count; the others are
     * counted apart and left out.
     */
    public ProfileStatus status(Collection<EnrollmentSummary> enrollments, ModelIdentity current) {
        Objects.requireNonNull(enrollments, "enrollments");
        Objects.requireNonNull(current, "current");
        int currentCount = 0;
        int otherCount = 0;
        double speechSeconds = 0;
        for (EnrollmentSummary e : enrollments) {
            if (e.modelIdentity().equals(current)) {
                currentCount++;
                speechSeconds += e.speechSeconds();
            } else {
                otherCount++;
            }
        }
        boolean enough = currentCount > 0 && speechSeconds + SPEECH_SECONDS_EPSILON >= minSpeechSeconds;
        ProfileState state;
        if (enough) {
            state = ProfileState.ENROLLED;
        } else if (currentCount == 0 && otherCount > 0) {
            state = ProfileState.NEEDS_REENROLLMENT;
        } else {
            state = ProfileState.ENROLLING;
        }
        double remaining = enough ? 0 : Math.max(0, minSpeechSeconds - speechSeconds);
        return new ProfileStatus(state, currentCount, otherCount, speechSeconds, remaining);
    }
}
