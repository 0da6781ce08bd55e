package dev.speakerembedding.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.features.KaldiFbankOptions.MelScale;
import dev.speakerembedding.features.KaldiFbankOptions.WindowType;
import org.junit.jupiter.api.Test;

class KaldiFbankTest {

    static KaldiFbankOptions kaldi(int rateHz, boolean snipEdges) {
        return new KaldiFbankOptions(rateHz, 25, 10, 80, WindowType.POVEY, true, 0.97f, snipEdges, 20, -400,
                MelScale.KALDI);
    }

    static KaldiFbankOptions slaney(int bins) {
        return new KaldiFbankOptions(16000, 25, 10, bins, WindowType.HANN, false, 0.97f, true, 0, -400,
                MelScale.SLANEY);
    }

    @Test
    void sizesFollowKaldisFloat32Arithmetic() {
        assertEquals(400, kaldi(16000, false).windowSizeSamples());
        assertEquals(160, kaldi(16000, false).windowShiftSamples());
        assertEquals(512, kaldi(16000, false).fftSize());
        assertEquals(200, kaldi(8000, false).windowSizeSamples());
        assertEquals(256, kaldi(8000, false).fftSize());
        assertEquals(7600f, kaldi(16000, false).resolvedHighFrequencyHz());
        assertEquals(3600f, kaldi(8000, false).resolvedHighFrequencyHz());
    }

    @Test
    void frameCountsMatchKaldiWithAndWithoutSnipEdges() {
        KaldiFbank centred = new KaldiFbank(kaldi(16000, false));
        assertEquals(732, centred.frameCount(117065, true), "(n + 80) / 160 after inputFinished");
        assertEquals(730, centred.frameCount(117065, false), "frames past the end wait for more input");
        assertEquals(0, centred.frameCount(79, true));
        assertEquals(1, centred.frameCount(80, true));
        assertEquals(-120, centred.firstSampleOfFrame(0));
        KaldiFbank snipped = new KaldiFbank(slaney(80));
        assertEquals(730, snipped.frameCount(117065, true));
        assertEquals(730, snipped.frameCount(117065, false));
        assertEquals(0, snipped.frameCount(399, true));
        assertEquals(1, snipped.frameCount(400, true));
        assertEquals(732, centred.compute(new float[117065], true).length);
    }

    @Test
    void silenceSitsAtTheLogFloor() {
        float[][] features = new KaldiFbank(kaldi(16000, false)).compute(new float[1600], true);
        assertEquals(10, features.length);
        for (float[] frame : features) {
            for (float v : frame) {
                assertEquals(-15.942385f, v, 0f);
            }
        }
    }

    @Test
    void windowsAreKaldis() {
        float[] povey = KaldiFbank.window(WindowType.POVEY, 400);
        assertEquals(0f, povey[0]);
        assertEquals(0f, povey[399]);
        assertEquals(povey[100], povey[299], 0f);
        float[] hann = KaldiFbank.window(WindowType.HANN, 400);
        assertEquals(0f, hann[0]);
        assertEquals(1f, hann[200], 0f);
        assertTrue(hann[399] > 0, "periodic: only the first sample is zero");
        float[] hamming = KaldiFbank.window(WindowType.HAMMING, 400);
        assertEquals(0.08f, hamming[0], 1e-7f);
        assertEquals(1f, KaldiFbank.window(WindowType.RECTANGULAR, 4)[3]);
    }

    @Test
    void aToneLandsInTheMelBinAroundItsFrequency() {
        KaldiFbank fbank = new KaldiFbank(kaldi(16000, false));
        float[] tone = new float[16000];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (float) (10000 * Math.sin(2 * Math.PI * 1000.0 * i / 16000));
        }
        float[] frame = fbank.compute(tone, true)[50];
        int peak = 0;
        for (int m = 1; m < frame.length; m++) {
            if (frame[m] > frame[peak]) {
                peak = m;
            }
        }
        float melLow = KaldiFbank.kaldiMel(20);
        float delta = (KaldiFbank.kaldiMel(7600) - melLow) / 81;
        double centreHz = 700 * (Math.exp((melLow + (peak + 1) * delta) / 1127.0) - 1);
        assertTrue(Math.abs(centreHz - 1000) < 60, "peak bin " + peak + " centred at " + centreHz + " Hz");
    }

    @Test
    void kaldiFiltersNeverUseTheNyquistBinAndSlaneyFiltersHaveUnitArea() {
        float[][] kaldi = new KaldiFbank(kaldi(16000, false)).melMatrix();
        for (float[] filter : kaldi) {
            assertEquals(0f, filter[256]);
            for (float w : filter) {
                assertTrue(w >= 0 && w <= 1);
            }
        }
        float[][] slaney = new KaldiFbank(slaney(80)).melMatrix();
        double binHz = 16000.0 / 512;
        for (int m = 40; m < 80; m++) {
            double area = 0;
            for (float w : slaney[m]) {
                area += w * binHz;
            }
            assertEquals(1.0, area, 0.05, "filter " + m);
        }
    }

    @Test
    void impossibleOptionsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new KaldiFbankOptions(16000, 25, 10, 80,
                WindowType.POVEY, true, 0.97f, false, 20, 9000, MelScale.KALDI));
        assertThrows(IllegalArgumentException.class, () -> new KaldiFbankOptions(16000, 25, 10, 2,
                WindowType.POVEY, true, 0.97f, false, 20, -400, MelScale.KALDI));
        assertThrows(IllegalArgumentException.class, () -> new KaldiFbankOptions(16000, 0.05f, 10, 80,
                WindowType.POVEY, true, 0.97f, false, 20, -400, MelScale.KALDI));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KaldiFbank(
                new KaldiFbankOptions(8000, 25, 10, 300, WindowType.POVEY, true, 0.97f, false, 20, -400,
                        MelScale.KALDI)));
        assertTrue(e.getMessage().contains("covers no FFT bin"), e.getMessage());
        assertEquals(WindowType.HANN, WindowType.fromKaldiName("hann"));
        assertEquals(null, WindowType.fromKaldiName("Hann"));
    }
}
