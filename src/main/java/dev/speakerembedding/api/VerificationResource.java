package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import dev.speakerembedding.inference.SpeakerVerification;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityPart;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * POST /v1/verify: one operation, two request forms (two audio parts, or two embeddings as JSON). As for
 * embeddings, the second method is hidden from the document, whose single operation lists both forms.
 */
@Path("/verify")
@ApplicationScoped
@Tag(name = "verification", description = "Same speaker or not")
public class VerificationResource {

    static final Set<String> OPTIONS = Set.of("threshold");
    static final List<String> PARTS = List.of("a", "b");

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @POST
    @Admitted
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "verifySpeakers", summary = "Are two utterances the same speaker?",
            description = "speechbrain's SpeakerRecognition.verify_batch: the cosine similarity of the two raw "
                    + "(normalize=false) embeddings, and same_speaker when it is above the threshold "
                    + "(VERIFY_THRESHOLD, 0.25 by default, or the threshold query option). Send two WAV files as "
                    + "multipart/form-data parts named a and b, or two embeddings from POST /v1/embeddings "
                    + "(without normalize or unit_length) as JSON; the JSON form needs no loaded model. The score is "
                    + "symmetric, and a file against itself scores 1.")
    @RequestBody(required = true, description = "Two WAV files, or two embeddings", content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "VerificationForm")),
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EmbeddingPair.class))})
    @APIResponse(responseCode = "200", description = "The score and the decision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = VerificationResponse.class), examples = {
                    @ExampleObject(name = "audio", summary = "Two WAV files",
                            value = ApiExamples.VERIFICATION_AUDIO),
                    @ExampleObject(name = "embeddings", summary = "Two embeddings",
                            value = ApiExamples.VERIFICATION_EMBEDDINGS)}))
    @APIResponse(responseCode = "400", description = "malformed_audio, invalid_option, invalid_multipart or "
            + "invalid_json (also body_read_failed when the upload broke off)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "malformed_audio", value = ApiExamples.MALFORMED_AUDIO),
                    @ExampleObject(name = "invalid_multipart", value = ApiExamples.INVALID_MULTIPART),
                    @ExampleObject(name = "invalid_json", value = ApiExamples.INVALID_JSON)}))
    @APIResponse(responseCode = "408", description = "upload_too_slow: the body did not arrive within "
            + "UPLOAD_TIMEOUT_MS plus one second per UPLOAD_MIN_BYTES_PER_SECOND received; the connection is closed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "upload_too_slow", value = ApiExamples.UPLOAD_TOO_SLOW)))
    @APIResponse(responseCode = "413", description = "request_too_large (MAX_REQUEST_BYTES)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "request_too_large", value = ApiExamples.REQUEST_TOO_LARGE)))
    @APIResponse(responseCode = "415", description = "unsupported_media_type, unsupported_audio_encoding or "
            + "unsupported_content_encoding",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "unsupported_media_type", value = ApiExamples.UNSUPPORTED_MEDIA_TYPE),
                    @ExampleObject(name = "unsupported_audio_encoding",
                            value = ApiExamples.UNSUPPORTED_AUDIO_ENCODING)}))
    @APIResponse(responseCode = "422", description = "audio_too_short, audio_too_long, audio_silent, or "
            + "invalid_embedding (JSON embeddings of different lengths, empty, or out of float range)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "audio_too_short", value = ApiExamples.AUDIO_TOO_SHORT),
                    @ExampleObject(name = "audio_silent", value = ApiExamples.AUDIO_SILENT),
                    @ExampleObject(name = "invalid_embedding", value = ApiExamples.INVALID_EMBEDDING)}))
    @APIResponse(responseCode = "503", description = "model_not_ready or saturated (audio form only)",
            headers = @Header(name = "Retry-After", description = "Seconds to wait before retrying",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "model_not_ready", value = ApiExamples.MODEL_NOT_READY),
                    @ExampleObject(name = "saturated", value = ApiExamples.SATURATED)}))
    public VerificationResponse verifyAudio(
            List<EntityPart> parts,
            @Parameter(description = "Decision threshold for this request, from -1 to 1 (default VERIFY_THRESHOLD)",
                    schema = @Schema(type = SchemaType.NUMBER, format = "double", minimum = "-1", maximum = "1"))
            @QueryParam("threshold") String threshold,
            @Context UriInfo uri) throws ProblemException {
        double thresholdValue = threshold(uri, threshold);
        ServiceConfig config = service.config();
        Map<String, AudioUpload> uploads = RequestBodies.readNamedParts(parts, PARTS, config.maxRequestBytes());
        List<EmbeddingResult> results = service.embedAll(admission, List.copyOf(uploads.values()),
                EmbeddingOptions.RAW);
        SpeakerVerification.Result r = SpeakerVerification.verify(results.get(0).embedding(),
                results.get(1).embedding(), thresholdValue);
        return new VerificationResponse(r.score(), r.threshold(), r.sameSpeaker(), config.modelId(),
                admission.model().commit());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    public VerificationResponse verifyEmbeddings(InputStream body, @QueryParam("threshold") String threshold,
                                                 @Context UriInfo uri) throws ProblemException {
        double thresholdValue = threshold(uri, threshold);
        byte[] json = RequestBodies.readBounded(body, service.config().maxRequestBytes());
        EmbeddingPair pair = EmbeddingPairs.parse(json);
        SpeakerVerification.Result r = SpeakerVerification.verify(pair.a(), pair.b(), thresholdValue);
        return new VerificationResponse(r.score(), r.threshold(), r.sameSpeaker(), null, null);
    }

    private double threshold(UriInfo uri, String threshold) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), OPTIONS);
        return QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
    }
}
