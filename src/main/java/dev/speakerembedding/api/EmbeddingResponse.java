package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "EmbeddingResponse", description = "Embeddings of the audio sent, in the order sent")
@JsonbPropertyOrder({"model", "commit", "dimension", "normalize", "unit_length", "data"})
public record EmbeddingResponse(
        @Schema(example = "speechbrain/spkrec-ecapa-voxceleb") String model,
        @Schema(description = "The model repository commit the embedding was computed with",
                example = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286") String commit,
        @Schema(example = "192") int dimension,
        @Schema(description = "Whether speechbrain's mean_var_norm_emb was applied") boolean normalize,
        @JsonbProperty("unit_length") @Schema(description = "Whether the vectors were scaled to L2 norm 1") boolean unitLength,
        List<Item> data) {

    @Schema(name = "EmbeddingItem")
    @JsonbPropertyOrder({"index", "embedding", "duration_seconds", "sample_rate_hz", "channels"})
    public record Item(
            @Schema(example = "0") int index,
            @Schema(description = "The embedding vector") float[] embedding,
            @JsonbProperty("duration_seconds") @Schema(example = "3.0") double durationSeconds,
            @JsonbProperty("sample_rate_hz") @Schema(description = "Sample rate of the audio as sent", example = "16000") int sampleRateHz,
            @Schema(example = "1") int channels) {
    }
}
