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
 * Verification, one request shape per operation: two audio files on POST /v1/verify (multipart), two embeddings
 * on POST /v1/verify/embeddings (JSON). Code generators send JSON whenever an operation offers it, so an operation
 * listing both forms would give generated clients a file method that sends JSON.
 */
@Path("/verify")
@ApplicationScoped
@ServerTimed
@Tag(name = "verification", description = "Same speaker or not")
public class VerificationResource {

    private static final String THRESHOLD_DESCRIPTION = "Decision threshold for this request, from -1 to 1 "
            + "(default VERIFY_THRESHOLD)";

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
            description = "speechbrain's SpeakerRecognition.verify_batch on two WAV files, sent as "
                    + "multipart/form-data parts named a and b: the cosine similarity of their raw (normalize=false) "
                    + "embeddings, and same_speaker when it is above the threshold (VERIFY_THRESHOLD, 0.25 by "
                    + "default, or the threshold query option). The score is symmetric, and a file against itself "
                    + "scores 1. To compare embeddings computed earlier, use POST /v1/verify/embeddings.")
    @RequestBody(required = true, description = "Two WAV files", content = @Content(
            mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "VerificationForm")))
    @APIResponse(responseCode = "200",
            headers = @Header(name = ServerTimed.HEADER, description = ServerTimed.DESCRIPTION,
                    schema = @Schema(type = SchemaType.STRING)),
            description = "The score and the decision",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = VerificationResponse.class), examples =
                    @ExampleObject(name = "audio", summary = "Two WAV files", value = ApiExamples.VERIFICATION_AUDIO)))
    @APIResponse(responseCode = "400", description = "malformed_audio, invalid_option or invalid_multipart (also "
            + "body_read_failed when the upload broke off)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "malformed_audio", value = ApiExamples.MALFORMED_AUDIO),
                    @ExampleObject(name = "invalid_option", value = ApiExamples.INVALID_OPTION_THRESHOLD),
                    @ExampleObject(name = "invalid_multipart", value = ApiExamples.INVALID_MULTIPART)}))
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
    @APIResponse(responseCode = "422", description = "audio_too_short, audio_too_long or audio_silent",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "audio_too_short", value = ApiExamples.AUDIO_TOO_SHORT),
                    @ExampleObject(name = "audio_silent", value = ApiExamples.AUDIO_SILENT)}))
    @APIResponse(responseCode = "503", description = "model_not_ready or saturated",
            headers = @Header(name = "Retry-After", description = "Seconds to wait before retrying",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "model_not_ready", value = ApiExamples.MODEL_NOT_READY),
                    @ExampleObject(name = "saturated", value = ApiExamples.SATURATED)}))
    public VerificationResponse verifyAudio(
            List<EntityPart> parts,
            @Parameter(description = THRESHOLD_DESCRIPTION, schema = @Schema(type = SchemaType.NUMBER,
                    format = "double", minimum = "-1", maximum = "1"))
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
    @Path("/embeddings")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "compareEmbeddings", summary = "Are two embeddings the same speaker?",
            description = "The decision of POST /v1/verify for two embeddings computed earlier by POST "
                    + "/v1/embeddings without normalize or unit_length: their cosine similarity, and same_speaker "
                    + "when it is above the threshold (VERIFY_THRESHOLD, 0.25 by default, or the threshold query "
                    + "option). Needs no loaded model and takes no inference slot. Two embeddings of the same files "
                    + "score what POST /v1/verify scores for them.")
    @RequestBody(required = true, description = "Two embeddings of the same length", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = EmbeddingPair.class),
            examples = @ExampleObject(name = "embeddings", value = ApiExamples.EMBEDDING_PAIR)))
    @APIResponse(responseCode = "200",
            headers = @Header(name = ServerTimed.HEADER, description = ServerTimed.DESCRIPTION,
                    schema = @Schema(type = SchemaType.STRING)),
            description = "The score and the decision (without model and commit: no "
            + "model was involved)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = VerificationResponse.class), examples =
                    @ExampleObject(name = "embeddings", summary = "Two embeddings",
                            value = ApiExamples.VERIFICATION_EMBEDDINGS)))
    @APIResponse(responseCode = "400", description = "invalid_json (not an object with two arrays of numbers a and "
            + "b) or invalid_option (also body_read_failed when the upload broke off)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "invalid_json", value = ApiExamples.INVALID_JSON),
                    @ExampleObject(name = "invalid_option", value = ApiExamples.INVALID_OPTION_THRESHOLD)}))
    @APIResponse(responseCode = "408", description = "upload_too_slow: the body did not arrive within "
            + "UPLOAD_TIMEOUT_MS plus one second per UPLOAD_MIN_BYTES_PER_SECOND received; the connection is closed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "upload_too_slow", value = ApiExamples.UPLOAD_TOO_SLOW)))
    @APIResponse(responseCode = "413", description = "request_too_large (MAX_REQUEST_BYTES)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "request_too_large", value = ApiExamples.REQUEST_TOO_LARGE)))
    @APIResponse(responseCode = "415", description = "unsupported_media_type (send application/json) or "
            + "unsupported_content_encoding",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "unsupported_media_type",
                            value = ApiExamples.UNSUPPORTED_MEDIA_TYPE)))
    @APIResponse(responseCode = "422", description = "invalid_embedding: embeddings of different lengths, empty, "
            + "or out of float range",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "invalid_embedding", value = ApiExamples.INVALID_EMBEDDING)))
    @APIResponse(responseCode = "503", description = "saturated: no room left for another upload "
            + "(MAX_BUFFERED_UPLOAD_BYTES)",
            headers = @Header(name = "Retry-After", description = "Seconds to wait before retrying",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "saturated", value = ApiExamples.SATURATED_UPLOADS)))
    public VerificationResponse compareEmbeddings(
            InputStream body,
            @Parameter(description = THRESHOLD_DESCRIPTION, schema = @Schema(type = SchemaType.NUMBER,
                    format = "double", minimum = "-1", maximum = "1"))
            @QueryParam("threshold") String threshold,
            @Context UriInfo uri) throws ProblemException {
        double thresholdValue = threshold(uri, threshold);
        byte[] json = RequestBodies.readBounded(body, service.config().maxRequestBytes());
        EmbeddingPair pair = EmbeddingPairs.parse(json);
        SpeakerVerification.Result r = SpeakerVerification.verify(pair.a(), pair.b(), thresholdValue);
        return new VerificationResponse(r.score(), r.threshold(), r.sameSpeaker(), null, null);
    }

    /**
     * The JSON form POST /v1/verify took before compareEmbeddings had a path of its own. Still answered, the same
     * way, for curl users and clients written against it; left out of the document, where it would make generated
     * clients send JSON for two files.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    public VerificationResponse compareEmbeddingsAtVerify(InputStream body, @QueryParam("threshold") String threshold,
                                                          @Context UriInfo uri) throws ProblemException {
        return compareEmbeddings(body, threshold, uri);
    }

    private double threshold(UriInfo uri, String threshold) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), OPTIONS);
        return QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
    }
}
