package dev.speakerembedding.api;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The JSON documents of the speaker-profile endpoints. No audio, and no vector, ever leaves through them. */
public final class ProfileViews {

    private ProfileViews() {
    }

    @Schema(name = "NewSpeaker", description = "A profile to create; both fields are optional")
    public record NewSpeaker(
            @JsonbProperty("external_id") @Schema(description = "Your own id for the person: unique among profiles "
                    + "(409 duplicate_external_id), 1 to 256 characters, no control characters",
                    example = "employee-4711") String externalId,
            @Schema(description = "A small JSON object of your own (at most 4096 bytes of UTF-8), stored and "
                    + "returned as given", example = "{\"team\":\"support\"}") Map<String, Object> metadata) {
    }

    @Schema(name = "Speaker", description = "A speaker profile and where it stands for the model being served",
            requiredProperties = {"id", "state", "enrollments", "other_model_enrollments", "speech_seconds",
                    "remaining_speech_seconds", "created_at", "updated_at"})
    @JsonbPropertyOrder({"id", "externalId", "metadata", "state", "enrollments", "otherModelEnrollments",
            "speechSeconds", "remainingSpeechSeconds", "createdAt", "updatedAt"})
    public record Speaker(
            @Schema(description = "The profile's id (a UUID)", example = "0b6f5c1e-8d2a-4c8e-9a51-3f0e2b7d9c44")
            String id,
            @JsonbProperty("external_id") @Schema(description = "Your id for the person, if you gave one")
            String externalId,
            @Schema(description = "Your metadata, if you gave any") Map<String, Object> metadata,
            @Schema(description = "enrolling: less speech than ENROLLMENT_MIN_SPEECH_SECONDS under the current "
                    + "model; enrolled: verify and identify use it; needs_reenrollment: only enrollments made by "
                    + "another model, which are never scored", enumeration = {"enrolling", "enrolled",
                    "needs_reenrollment"}, example = "enrolling") String state,
            @Schema(description = "Enrollments made by the current model") int enrollments,
            @JsonbProperty("other_model_enrollments") @Schema(description = "Enrollments made by another model: "
                    + "kept, left out of scoring") int otherModelEnrollments,
            @JsonbProperty("speech_seconds") @Schema(description = "Speech in the current model's enrollments")
            double speechSeconds,
            @JsonbProperty("remaining_speech_seconds") @Schema(description = "Speech still needed before the "
                    + "profile is enrolled; 0 once it is") double remainingSpeechSeconds,
            @JsonbProperty("created_at") Instant createdAt,
            @JsonbProperty("updated_at") Instant updatedAt) {
    }

    @Schema(name = "SpeakerPage", description = "Profiles in creation order", requiredProperties = {"speakers"})
    public record SpeakerPage(
            List<Speaker> speakers,
            @JsonbProperty("next_cursor") @Schema(description = "Pass as cursor for the next page; absent on the "
                    + "last page") String nextCursor) {
    }

    @Schema(name = "Enrollment", description = "One stored enrollment: its numbers, never its audio (not stored) "
            + "or its vector", requiredProperties = {"id", "duration_seconds", "speech_seconds", "model", "commit",
            "current_model", "created_at"})
    @JsonbPropertyOrder({"id", "durationSeconds", "speechSeconds", "model", "commit", "currentModel", "createdAt"})
    public record Enrollment(
            String id,
            @JsonbProperty("duration_seconds") @Schema(description = "Length of the audio") double durationSeconds,
            @JsonbProperty("speech_seconds") @Schema(description = "Speech in it, by an energy-based voice "
                    + "activity estimate on the 16 kHz waveform the model saw") double speechSeconds,
            @Schema(description = "Repository of the model that made its embedding") String model,
            @Schema(description = "Commit of that model") String commit,
            @JsonbProperty("current_model") @Schema(description = "Made by the model being served (only those are "
                    + "scored)") boolean currentModel,
            @JsonbProperty("created_at") Instant createdAt) {
    }

    @Schema(name = "ModelIdentity", description = "What made an embedding: every field that changes the numbers",
            requiredProperties = {"family", "repo", "commit", "dimension", "normalization", "precision"})
    @JsonbPropertyOrder({"family", "repo", "commit", "dimension", "normalization", "precision", "modelSha256"})
    public record ModelIdentityView(
            @Schema(description = "Model family and front end", example = "speechbrain-ecapa") String family,
            @Schema(description = "Hub repository (getModel's model)", example = "speechbrain/spkrec-ecapa-voxceleb")
            String repo,
            @Schema(description = "Resolved commit (getModel's commit)",
                    example = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286") String commit,
            @Schema(description = "Values per embedding", example = "192") int dimension,
            @Schema(description = "raw: createEmbeddings with normalize=false; mean_var_norm: normalize=true",
                    enumeration = {"raw", "mean_var_norm"}, example = "raw") String normalization,
            @Schema(description = "Numeric precision the model ran in", example = "fp32") String precision,
            @JsonbProperty("model_sha256") @Schema(description = "For a model served from one ONNX file "
                    + "(sherpa-onnx families): the file's sha256 (getModel's files[0].sha256); absent for "
                    + "speechbrain models") String modelSha256) {
    }

    @Schema(name = "EmbeddingEnrollment", description = "An embedding to enroll, the model that made it and the "
            + "numbers measured on its audio", requiredProperties = {"embedding", "model", "duration_seconds",
            "speech_seconds"})
    @JsonbPropertyOrder({"embedding", "model", "durationSeconds", "speechSeconds"})
    public record EmbeddingEnrollment(
            @Schema(description = "The embedding: dimension finite numbers, not all zero",
                    example = "[12.31, -3.08, 0.77]") float[] embedding,
            ModelIdentityView model,
            @JsonbProperty("duration_seconds") @Schema(description = "Length of the audio it was made from",
                    example = "6.5") double durationSeconds,
            @JsonbProperty("speech_seconds") @Schema(description = "Speech in that audio (at least 1 s, at most "
                    + "duration_seconds)", example = "5.2") double speechSeconds) {
    }

    @Schema(name = "EnrollmentResult", description = "The enrollments stored, in the order sent, and the profile "
            + "afterwards", requiredProperties = {"enrollments", "speaker"})
    public record EnrollmentResult(List<Enrollment> enrollments, Speaker speaker) {
    }

    @Schema(name = "EnrollmentList", description = "A profile's enrollments, oldest first",
            requiredProperties = {"enrollments"})
    public record EnrollmentList(List<Enrollment> enrollments) {
    }

    @Schema(name = "EnrollmentReset", description = "What a reset deleted", requiredProperties = {"deleted", "speaker"})
    public record EnrollmentReset(@Schema(description = "Enrollments deleted") int deleted, Speaker speaker) {
    }

    @Schema(name = "SpeakerVerification", description = "Is the audio the profile's speaker?",
            requiredProperties = {"speaker_id", "score", "threshold", "same_speaker", "enrollments_used",
                    "enrollments_left_out", "model", "commit"})
    @JsonbPropertyOrder({"speakerId", "score", "threshold", "sameSpeaker", "enrollmentsUsed", "enrollmentsLeftOut",
            "model", "commit"})
    public record SpeakerVerification(
            @JsonbProperty("speaker_id") String speakerId,
            @Schema(description = "Cosine of the audio's embedding and the profile vector (the unit-length mean of "
                    + "its unit-length enrollment embeddings), from -1 to 1") double score,
            @Schema(description = "VERIFY_THRESHOLD unless the request gave one") double threshold,
            @JsonbProperty("same_speaker") @Schema(description = "score > threshold") boolean sameSpeaker,
            @JsonbProperty("enrollments_used") int enrollmentsUsed,
            @JsonbProperty("enrollments_left_out") @Schema(description = "Enrollments made by another model, not "
                    + "scored") int enrollmentsLeftOut,
            String model,
            String commit) {
    }

    @Schema(name = "IdentificationCandidate", description = "An enrolled profile and its score",
            requiredProperties = {"id", "score"})
    @JsonbPropertyOrder({"id", "externalId", "score"})
    public record Candidate(String id, @JsonbProperty("external_id") String externalId,
                            @Schema(type = SchemaType.NUMBER, format = "double") double score) {
    }

    @Schema(name = "Identification", description = "The best-scoring enrolled profiles",
            requiredProperties = {"candidates", "threshold", "profiles_scored", "enrollments_left_out",
                    "profiles_left_out", "model", "commit"})
    @JsonbPropertyOrder({"identified", "candidates", "threshold", "profilesScored", "enrollmentsLeftOut",
            "profilesLeftOut", "model", "commit"})
    public record Identification(
            @Schema(description = "The best candidate when its score is above the threshold; absent otherwise")
            Candidate identified,
            @Schema(description = "At most top candidates, best first (equal scores by id)") List<Candidate> candidates,
            double threshold,
            @JsonbProperty("profiles_scored") @Schema(description = "Enrolled profiles scored") int profilesScored,
            @JsonbProperty("enrollments_left_out") @Schema(description = "Enrollments made by another model among "
                    + "the profiles searched (every profile, or the candidates): not scored")
            int enrollmentsLeftOut,
            @JsonbProperty("profiles_left_out") @Schema(description = "Profiles searched whose enrollments were all "
                    + "made by another model (state needs_reenrollment): not scored at all") int profilesLeftOut,
            String model,
            String commit) {
    }
}
