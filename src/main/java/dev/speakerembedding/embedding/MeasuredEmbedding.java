package dev.speakerembedding.embedding;

import dev.speakerembedding.audio.SpeechMeasurement;

/**
 * An embedding and the speech measured on the very waveform it was computed from (16 kHz mono), from one decode.
 *
 * @param result the embedding, exactly what {@link SpeakerEmbedder#embed} returns for the same input
 * @param speech the speech measured on the 16 kHz mono waveform
 */
public record MeasuredEmbedding(EmbeddingResult result, SpeechMeasurement speech) {
}
