package dev.speakerembedding.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class EnergyVoiceActivityTest {

    private static final int RATE_HZ = 16000;
    /** A burst's edges are judged at a 10 ms hop by 25 ms windows: each edge may move by about one hop. */
    private static final double EDGE_TOLERANCE_SECONDS = 0.03;

    private final EnergyVoiceActivity vad = new EnergyVoiceActivity(EnergyVoiceActivity.Settings.DEFAULT);

    @Test
    void silenceHasNoSpeech() {
        SpeechMeasurement m = vad.measure(new float[5 * RATE_HZ], RATE_HZ);
        assertEquals(5.0, m.durationSeconds());
        assertEquals(0.0, m.speechSeconds());
    }

    @Test
    void anEmptyWaveformHasNoSpeech() {
        SpeechMeasurement m = vad.measure(new float[0], RATE_HZ);
        assertEquals(0.0, m.durationSeconds());
        assertEquals(0.0, m.speechSeconds());
    }

    @Test
    void aDcOffsetIsNotSpeech() {
        float[] x = new float[3 * RATE_HZ];
        java.util.Arrays.fill(x, 0.4f);
        assertEquals(0.0, vad.measure(x, RATE_HZ).speechSeconds());
    }

    @Test
    void aTwoSecondToneInFiveSecondsOfNearSilenceMeasuresTwoSeconds() {
        float[] x = noise(5.0, 1e-4, 1);
        addTone(x, 1.5, 3.5, 440, 0.5);
        SpeechMeasurement m = vad.measure(x, RATE_HZ);
        assertEquals(5.0, m.durationSeconds());
        assertEquals(2.0, m.speechSeconds(), EDGE_TOLERANCE_SECONDS);
    }

    @Test
    void aTwoSecondNoiseBurstInFiveSecondsOfNearSilenceMeasuresTwoSeconds() {
        float[] x = noise(5.0, 1e-4, 2);
        float[] burst = noise(2.0, 0.1, 3);
        System.arraycopy(burst, 0, x, (int) (0.7 * RATE_HZ), burst.length);
        assertEquals(2.0, vad.measure(x, RATE_HZ).speechSeconds(), EDGE_TOLERANCE_SECONDS);
    }

    @Test
    void lowLevelNoiseOnlyHasNoSpeech() {
        // -60 dBFS: 10 dB under the absolute floor
        assertEquals(0.0, vad.measure(noise(5.0, 1e-3, 4), RATE_HZ).speechSeconds());
    }

    @Test
    void aFullScaleSpeechLikeSignalIsSpeechThroughout() {
        double seconds = 4.0;
        float[] x = new float[(int) (seconds * RATE_HZ)];
        for (int i = 0; i < x.length; i++) {
            double t = (double) i / RATE_HZ;
            // 120 Hz voice with three harmonics, syllables at 4 Hz dipping 14 dB between them
            double voice = Math.sin(2 * Math.PI * 120 * t) + 0.5 * Math.sin(2 * Math.PI * 240 * t)
                    + 0.25 * Math.sin(2 * Math.PI * 360 * t);
            double envelope = 0.2 + 0.8 * Math.abs(Math.sin(2 * Math.PI * 2 * t));
            x[i] = (float) (voice * envelope / 1.75);
        }
        SpeechMeasurement m = vad.measure(x, RATE_HZ);
        assertEquals(seconds, m.speechSeconds(), 1e-9);
    }

    @Test
    void aPassageFortyDecibelsUnderTheLoudestIsNotSpeechButCountsAlone() {
        float[] both = noise(4.0, 1e-5, 5);
        addTone(both, 0.5, 1.5, 300, 0.9);
        addTone(both, 2.5, 3.5, 300, 0.009);
        assertEquals(1.0, vad.measure(both, RATE_HZ).speechSeconds(), EDGE_TOLERANCE_SECONDS);

        float[] quietOnly = noise(4.0, 1e-5, 5);
        addTone(quietOnly, 2.5, 3.5, 300, 0.009);
        assertEquals(1.0, vad.measure(quietOnly, RATE_HZ).speechSeconds(), EDGE_TOLERANCE_SECONDS);
    }

    @Test
    void aClickDoesNotSetTheReference() {
        float[] x = noise(4.0, 1e-5, 6);
        addTone(x, 1.0, 3.0, 300, 0.009);
        int click = (int) (0.5 * RATE_HZ);
        for (int i = 0; i < 80; i++) {
            x[click + i] = (i % 2 == 0) ? 1f : -1f;
        }
        double speech = vad.measure(x, RATE_HZ).speechSeconds();
        // the 2 s passage plus the hops whose windows see the 5 ms click (at most 3)
        assertEquals(2.0, speech, EDGE_TOLERANCE_SECONDS + 0.03);
        assertTrue(speech > 1.95, "quiet passage still counted: " + speech);
    }

    @Test
    void otherSampleRatesUseTheirOwnHop() {
        int rate = 8000;
        float[] x = new float[5 * rate];
        for (int i = (int) (1.0 * rate); i < 3.0 * rate; i++) {
            x[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / rate));
        }
        assertEquals(2.0, vad.measure(x, rate).speechSeconds(), EDGE_TOLERANCE_SECONDS);
    }

    @Test
    void nonFiniteSamplesAreRefused() {
        float[] nan = new float[RATE_HZ];
        nan[123] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vad.measure(nan, RATE_HZ));
        assertTrue(e.getMessage().contains("sample 123"), e.getMessage());
        float[] inf = new float[RATE_HZ];
        inf[7] = Float.NEGATIVE_INFINITY;
        assertThrows(IllegalArgumentException.class, () -> vad.measure(inf, RATE_HZ));
        assertThrows(IllegalArgumentException.class, () -> vad.measure(new float[10], 0));
    }

    @Test
    void settingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new EnergyVoiceActivity.Settings(25, 0, 30, -50, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new EnergyVoiceActivity.Settings(5, 10, 30, -50, 0.1));
        assertThrows(IllegalArgumentException.class,
                () -> new EnergyVoiceActivity.Settings(25, 10, Double.NaN, -50, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new EnergyVoiceActivity.Settings(25, 10, 30, 3, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new EnergyVoiceActivity.Settings(25, 10, 30, -50, 0));
    }

    private static float[] noise(double seconds, double rms, long seed) {
        Random random = new Random(seed);
        float[] x = new float[(int) Math.round(seconds * RATE_HZ)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rms * random.nextGaussian());
        }
        return x;
    }

    private static void addTone(float[] x, double fromSeconds, double toSeconds, double hz, double amplitude) {
        for (int i = (int) Math.round(fromSeconds * RATE_HZ); i < Math.round(toSeconds * RATE_HZ); i++) {
            x[i] += (float) (amplitude * Math.sin(2 * Math.PI * hz * i / RATE_HZ));
        }
    }
}
