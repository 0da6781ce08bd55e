package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityPart;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
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
 * POST /v1/embeddings. One operation in the contract, two methods here: JAX-RS picks the method by Content-Type,
 * and only the first carries the OpenAPI description (the multipart method is hidden so the document holds one
 * operation whose request body lists both forms). Unlike verification, both forms can share an operation: neither
 * is JSON, so generated clients take the first, multipart, which covers one file as well as many.
 */
@Path("/embeddings")
@ApplicationScoped
@ServerTimed
@Tag(name = "embeddings", description = "Speaker embeddings of audio files")
public class EmbeddingResource {

    static final Set<String> OPTIONS = Set.of("normalize", "unit_length");
    private static final String FLAG_VALUES = "Values: true or false, in any case; anything else is invalid_option.";

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @POST
    @Admitted
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "createEmbeddings", summary = "Embed one audio file or a batch",
            description = "Decodes WAV audio (PCM 8/16/24/32-bit or float 32/64-bit, any channel count, sample rates "
                    + "1000..768000 Hz), resamples it to 16 kHz mono as speechbrain's load_audio does and returns "
                    + "its speaker embedding: by default the raw vector speechbrain's encode_batch returns. Send the "
                    + "files as the parts of a multipart/form-data body (any field names, e.g. `files`; at most "
                    + "MAX_BATCH_SIZE parts; one file is a batch of one, which is what generated clients send), or "
                    + "one file as the body itself (audio/wav, audio/x-wav or application/octet-stream). Items come "
                    + "back in the order sent, each with the numbers the same file gets on its own. A batch fails as "
                    + "a whole, and the problem's detail names the failing part.")
    @RequestBody(required = true, description = "WAV audio: one file, or a multipart batch", content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "EmbeddingBatchForm")),
            @Content(mediaType = "audio/wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = "audio/x-wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "200",
            headers = @Header(name = ServerTimed.HEADER, description = ServerTimed.DESCRIPTION,
                    schema = @Schema(type = SchemaType.STRING)),
            description = "One embedding per audio file, in the order sent",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = EmbeddingResponse.class), examples = {
                    @ExampleObject(name = "single", summary = "One WAV file as the body",
                            value = ApiExamples.EMBEDDING_SINGLE),
                    @ExampleObject(name = "batch", summary = "Two multipart parts, unit_length=true",
                            value = ApiExamples.EMBEDDING_BATCH)}))
    @APIResponse(responseCode = "400", description = "malformed_audio, invalid_option or invalid_multipart "
            + "(also body_read_failed when the upload broke off)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "malformed_audio", value = ApiExamples.MALFORMED_AUDIO),
                    @ExampleObject(name = "invalid_option", value = ApiExamples.INVALID_OPTION),
                    @ExampleObject(name = "invalid_multipart", value = ApiExamples.INVALID_MULTIPART)}))
    @APIResponse(responseCode = "408", description = "upload_too_slow: the body did not arrive within "
            + "UPLOAD_TIMEOUT_MS plus one second per UPLOAD_MIN_BYTES_PER_SECOND received; the connection is closed",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "upload_too_slow", value = ApiExamples.UPLOAD_TOO_SLOW)))
    @APIResponse(responseCode = "413", description = "request_too_large (MAX_REQUEST_BYTES) or batch_too_large "
            + "(MAX_BATCH_SIZE)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "request_too_large", value = ApiExamples.REQUEST_TOO_LARGE),
                    @ExampleObject(name = "batch_too_large", value = ApiExamples.BATCH_TOO_LARGE)}))
    @APIResponse(responseCode = "415", description = "unsupported_media_type (Content-Type) or "
            + "unsupported_audio_encoding (a WAV the service cannot decode) or unsupported_content_encoding (a "
            + "compressed upload: send audio without Content-Encoding)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "unsupported_media_type", value = ApiExamples.UNSUPPORTED_MEDIA_TYPE),
                    @ExampleObject(name = "unsupported_audio_encoding",
                            value = ApiExamples.UNSUPPORTED_AUDIO_ENCODING)}))
    @APIResponse(responseCode = "422", description = "audio_too_short (MIN_AUDIO_SECONDS, and at least 640 "
            + "samples at 16 kHz), audio_too_long (MAX_AUDIO_SECONDS) or audio_silent (every sample zero)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "audio_too_short", value = ApiExamples.AUDIO_TOO_SHORT),
                    @ExampleObject(name = "audio_too_long", value = ApiExamples.AUDIO_TOO_LONG),
                    @ExampleObject(name = "audio_silent", value = ApiExamples.AUDIO_SILENT)}))
    @APIResponse(responseCode = "503", description = "model_not_ready (no model loaded yet, see /v1/status) or "
            + "saturated (every inference slot busy and the wait queue full or timed out, or no room left for "
            + "another upload: MAX_BUFFERED_UPLOAD_BYTES)",
            headers = @Header(name = "Retry-After", description = "Seconds to wait before retrying",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = {
                    @ExampleObject(name = "model_not_ready", value = ApiExamples.MODEL_NOT_READY),
                    @ExampleObject(name = "saturated", value = ApiExamples.SATURATED)}))
    public EmbeddingResponse embedFile(
            InputStream body,
            @Parameter(description = "Apply speechbrain's mean_var_norm_emb (encode_batch normalize=True). "
                    + FLAG_VALUES, schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "false"))
            @QueryParam("normalize") String normalize,
            @Parameter(description = "Scale each vector to unit L2 norm (after normalize). " + FLAG_VALUES,
                    schema = @Schema(type = SchemaType.BOOLEAN, defaultValue = "false"))
            @QueryParam("unit_length") String unitLength,
            @Context UriInfo uri, @Context HttpHeaders headers) throws ProblemException {
        EmbeddingOptions options = options(uri, normalize, unitLength);
        byte[] wav = RequestBodies.readBounded(body, declaredLength(headers), service.config().maxRequestBytes());
        return embed(List.of(new AudioUpload(null, wav)), options);
    }

    @POST
    @Admitted
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    public EmbeddingResponse embedBatch(List<EntityPart> parts, @QueryParam("normalize") String normalize,
                                        @QueryParam("unit_length") String unitLength, @Context UriInfo uri)
            throws ProblemException {
        EmbeddingOptions options = options(uri, normalize, unitLength);
        ServiceConfig config = service.config();
        List<AudioUpload> uploads = RequestBodies.readAudioParts(parts, config.maxRequestBytes(),
                config.maxBatchSize());
        return embed(uploads, options);
    }

    /** The Content-Length, already checked by {@link RequestSizeLimit}; -1 when there is none. */
    private static long declaredLength(HttpHeaders headers) {
        try {
            return RequestSizeLimit.declaredLength(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static EmbeddingOptions options(UriInfo uri, String normalize, String unitLength) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), OPTIONS);
        return new EmbeddingOptions(QueryOptions.flag("normalize", normalize),
                QueryOptions.flag("unit_length", unitLength));
    }

    private EmbeddingResponse embed(List<AudioUpload> uploads, EmbeddingOptions options) throws ProblemException {
        EmbeddingService.LoadedModel model = admission.model();
        List<EmbeddingResult> results = service.embedAll(admission, uploads, options);
        List<EmbeddingResponse.Item> items = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            EmbeddingResult r = results.get(i);
            items.add(new EmbeddingResponse.Item(i, uploads.get(i).name(), r.embedding(), r.durationSeconds(),
                    r.sampleRateHz(), r.channelCount()));
        }
        return new EmbeddingResponse(service.config().modelId(), model.commit(), model.embedder().dimension(),
                options.normalize(), options.unitLength(), items);
    }
}
