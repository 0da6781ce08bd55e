package dev.speakerembedding.embedding;

/**
 * One utterance's embedding and what was learnt about its audio on the way.
 *
 * @param embedding         the vector (speechbrain's raw output unless options asked otherwise)
 * @param durationSeconds   length of the audio as sent
 * @param sampleRateHz      the sample rate the audio was sent with (before resampling to 16 kHz)
 * @param channelCount      channels in the file (averaged to mono)
 * @param timings           time spent in each stage
 */
public record EmbeddingResult(float[] embedding, double durationSeconds, int sampleRateHz, int channelCount,
                              StageTimings timings) {
}
