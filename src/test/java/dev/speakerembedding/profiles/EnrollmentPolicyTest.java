package dev.speakerembedding.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.speakerembedding.profiles.ModelIdentity.Normalization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnrollmentPolicyTest {

    private static final ModelIdentity CURRENT = ModelIdentityTest.ECAPA_RAW;
    private static final ModelIdentity OLD = ModelIdentity.speechbrainEcapa(ModelIdentityTest.REPO,
            ModelIdentityTest.COMMIT, 192, Normalization.MEAN_VAR_NORM);
    private static final EnrollmentPolicy POLICY = EnrollmentPolicy.DEFAULT;

    @Test
    void theDefaultsAreTwentySecondsInTotalAndOnePerEnrollment() {
        assertEquals(20.0, POLICY.minSpeechSeconds());
        assertEquals(1.0, POLICY.minSpeechSecondsPerEnrollment());
    }

    @Test
    void aProfileWithoutEnrollmentsIsEnrollingAndNeedsEverything() {
        assertEquals(new ProfileStatus(ProfileState.ENROLLING, 0, 0, 0.0, 20.0), POLICY.status(List.of(), CURRENT));
    }

    @Test
    void speechAddsUpAcrossEnrollmentsUntilTheMinimum() {
        List<EnrollmentSummary> e = new ArrayList<>(List.of(new EnrollmentSummary(CURRENT, 12.5)));
        assertEquals(new ProfileStatus(ProfileState.ENROLLING, 1, 0, 12.5, 7.5), POLICY.status(e, CURRENT));
        e.add(new EnrollmentSummary(CURRENT, 7.5));
        assertEquals(new ProfileStatus(ProfileState.ENROLLED, 2, 0, 20.0, 0.0), POLICY.status(e, CURRENT));
        e.add(new EnrollmentSummary(CURRENT, 30));
        assertEquals(new ProfileStatus(ProfileState.ENROLLED, 3, 0, 50.0, 0.0), POLICY.status(e, CURRENT));
    }

    @Test
    void roundingInTheSumDoesNotKeepAProfileEnrolling() {
        List<EnrollmentSummary> e = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            e.add(new EnrollmentSummary(CURRENT, 0.1));
        }
        ProfileStatus status = POLICY.status(e, CURRENT);
        assertEquals(ProfileState.ENROLLED, status.state());
        assertEquals(20.0, status.speechSeconds(), 1e-9);
        assertEquals(0.0, status.remainingSpeechSeconds());
    }

    @Test
    void enrollmentsOfAnotherModelAreCountedAndLeftOut() {
        List<EnrollmentSummary> old = List.of(new EnrollmentSummary(OLD, 15), new EnrollmentSummary(OLD, 15));
        assertEquals(new ProfileStatus(ProfileState.NEEDS_REENROLLMENT, 0, 2, 0.0, 20.0), POLICY.status(old, CURRENT));

        List<EnrollmentSummary> mixed = new ArrayList<>(old);
        mixed.add(new EnrollmentSummary(CURRENT, 5));
        assertEquals(new ProfileStatus(ProfileState.ENROLLING, 1, 2, 5.0, 15.0), POLICY.status(mixed, CURRENT));
        mixed.add(new EnrollmentSummary(CURRENT, 15));
        assertEquals(new ProfileStatus(ProfileState.ENROLLED, 2, 2, 20.0, 0.0), POLICY.status(mixed, CURRENT));
        assertEquals(new ProfileStatus(ProfileState.ENROLLED, 2, 2, 30.0, 0.0), POLICY.status(mixed, OLD));
    }

    @Test
    void anEnrollmentWithTooLittleSpeechIsRefusedWithBothNumbers() throws Exception {
        InsufficientSpeechException e = assertThrows(InsufficientSpeechException.class,
                () -> POLICY.checkEnrollment(0.99));
        assertEquals(0.99, e.speechSeconds());
        assertEquals(1.0, e.requiredSpeechSeconds());
        assertEquals("the audio holds 0.99 s of speech, an enrollment needs at least 1.00 s", e.getMessage());
        assertThrows(InsufficientSpeechException.class, () -> POLICY.checkEnrollment(0.0));
        POLICY.checkEnrollment(1.0);
        POLICY.checkEnrollment(0.9999999999);
        assertThrows(IllegalArgumentException.class, () -> POLICY.checkEnrollment(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> POLICY.checkEnrollment(Double.POSITIVE_INFINITY));
    }

    @Test
    void invalidNumbersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EnrollmentPolicy(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new EnrollmentPolicy(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new EnrollmentPolicy(20, 0));
        assertThrows(IllegalArgumentException.class, () -> new EnrollmentSummary(CURRENT, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new EnrollmentSummary(CURRENT, -0.5));
        assertThrows(NullPointerException.class, () -> new EnrollmentSummary(null, 3));
    }
}
