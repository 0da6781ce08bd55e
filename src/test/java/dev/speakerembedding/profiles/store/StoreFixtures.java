package dev.speakerembedding.profiles.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import dev.speakerembedding.profiles.ModelIdentity;

/** Model identities, vectors and clocks for the store's tests. */
final class StoreFixtures {

    static final int DIMENSION = 192;
    static final ModelIdentity MODEL_A = ModelIdentity.speechbrainEcapa("speechbrain/spkrec-ecapa-voxceleb",
            "0123456789abcdef0123456789abcdef01234567", DIMENSION, ModelIdentity.Normalization.RAW);
    static final ModelIdentity MODEL_B = ModelIdentity.speechbrainEcapa("speechbrain/spkrec-ecapa-voxceleb",
            "89abcdef0123456789abcdef0123456789abcdef", DIMENSION, ModelIdentity.Normalization.RAW);

    private StoreFixtures() {
    }

    /** A raw (not unit-length) vector with values around 0 and a norm far from 1. */
    static float[] vector(long seed, int dimension) {
        Random random = new Random(seed);
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) (random.nextGaussian() * 3.0);
        }
        return v;
    }

    static NewEnrollment enrollment(long seed, ModelIdentity model, double durationSeconds, double speechSeconds) {
        return NewEnrollment.of(model, vector(seed, model.dimension()), durationSeconds, speechSeconds);
    }

    static NewEnrollment enrollment(long seed) {
        return enrollment(seed, MODEL_A, 12.5, 10.25);
    }

    /** A clock that advances one millisecond, plus a fraction to exercise microseconds, per reading. */
    static final class TickingClock extends Clock {
        private final AtomicLong micros = new AtomicLong(
                Instant.parse("2026-11-27T10:00:00Z").toEpochMilli() * 1000);

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            long m = micros.addAndGet(1_001);
            return Instant.EPOCH.plus(Duration.ofNanos(m * 1000 + 789));
        }
    }
}
