package dev.speakerembedding.embedding;

/** Wall-clock time of each stage of one embedding, in nanoseconds. */
public record StageTimings(long decodeNanos, long resampleNanos, long fbankNanos, long inferenceNanos) {

    public long totalNanos() {
        return decodeNanos + resampleNanos + fbankNanos + inferenceNanos;
    }
}
