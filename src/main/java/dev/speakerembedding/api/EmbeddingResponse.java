package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "EmbeddingResponse", description = "Embeddings of the audio sent, in the order sent",
        requiredProperties = {"model", "commit", "dimension", "normalize", "unit_length", "data"})
@JsonbPropertyOrder({"model", "commit", "dimension", "normalize", "unitLength", "data"})
public record EmbeddingResponse(
        @Schema(description = "Repository id of the model (EMBEDDING_MODEL)",
                example = "speechbrain/spkrec-ecapa-voxceleb") String model,
        @Schema(description = "The model repository commit the embeddings were computed with",
                example = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286") String commit,
        @Schema(description = "Length of every embedding", example = "192") int dimension,
        @Schema(description = "Whether speechbrain's mean_var_norm_emb was applied") boolean normalize,
        @JsonbProperty("unit_length") @Schema(description = "Whether the vectors were scaled to L2 norm 1")
        boolean unitLength,
        @Schema(description = "One item per audio file, in the order sent") List<Item> data) {

    @Schema(name = "EmbeddingItem", description = "The embedding of one audio file and what was learnt about it",
            requiredProperties = {"index", "embedding", "duration_seconds", "sample_rate_hz", "channels"})
    @JsonbPropertyOrder({"index", "name", "embedding", "durationSeconds", "sampleRateHz", "channels"})
    public record Item(
            @Schema(description = "Position of the file in the request, from 0", example = "0") int index,
            @Schema(description = "The multipart part's file name (else its field name); absent for a single-file "
                    + "body", example = "alice.wav") String name,
            @Schema(description = "The embedding vector (speechbrain's encode_batch output unless normalize or "
                    + "unit_length ask otherwise)", example = "[12.31, -3.08, 0.77]") float[] embedding,
            @JsonbProperty("duration_seconds") @Schema(description = "Length of the audio as sent, in seconds",
                    example = "3.0") double durationSeconds,
            @JsonbProperty("sample_rate_hz") @Schema(description = "Sample rate of the audio as sent (it is "
                    + "resampled to 16000 Hz)", example = "44100") int sampleRateHz,
            @Schema(description = "Channels in the file (averaged to mono)", example = "1") int channels) {
    }
}
