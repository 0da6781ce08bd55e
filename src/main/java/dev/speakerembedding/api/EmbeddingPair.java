package dev.speakerembedding.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The body of compareEmbeddings: two embeddings computed earlier (normalize=false, as speechbrain). */
@Schema(name = "EmbeddingPair", description = "Two embeddings of the same length, e.g. from POST /v1/embeddings "
        + "without normalize or unit_length", requiredProperties = {"a", "b"})
public record EmbeddingPair(
        @Schema(description = "The first embedding", example = "[12.31, -3.08, 0.77]") float[] a,
        @Schema(description = "The second embedding", example = "[11.9, -2.5, 1.02]") float[] b) {
}
