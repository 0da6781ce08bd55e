package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "VerificationResponse", description = "Whether two utterances come from the same speaker, as "
        + "speechbrain's SpeakerRecognition.verify_batch decides it", requiredProperties = {"score", "threshold",
        "same_speaker"})
@JsonbPropertyOrder({"score", "threshold", "sameSpeaker", "model", "commit"})
public record VerificationResponse(
        @Schema(description = "Cosine similarity of the two raw (normalize=false) embeddings, from -1 to 1",
                example = "0.7312") double score,
        @Schema(description = "The threshold the decision used (VERIFY_THRESHOLD unless the request gave one)",
                example = "0.25") double threshold,
        @JsonbProperty("same_speaker") @Schema(description = "score > threshold", example = "true")
        boolean sameSpeaker,
        @Schema(description = "Repository id of the model that embedded the audio; absent from "
                + "compareEmbeddings answers", example = "speechbrain/spkrec-ecapa-voxceleb") String model,
        @Schema(description = "The model commit that embedded the audio; absent from compareEmbeddings answers",
                example = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286") String commit) {
}
