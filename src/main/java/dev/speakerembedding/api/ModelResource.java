package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.model.SpeakerModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/model")
@ApplicationScoped
@Tag(name = "model", description = "The model being served")
public class ModelResource {

    @Inject
    EmbeddingService service;

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "getModel", summary = "Describe the model being served",
            description = "The model repository, the revision asked for and the commit it resolved to, every file "
                    + "with its size and sha256, the model family, the embedding dimension, the sample rate the model "
                    + "expects, its metadata and the front-end settings in force, the device and ONNX Runtime "
                    + "version, when the model was loaded, how a checkpoint was converted to ONNX (speechbrain), "
                    + "and the request limits in force. 503 until a model is loaded.")
    @APIResponse(responseCode = "200", description = "The loaded model",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = ModelInfo.class),
                    examples = {@ExampleObject(name = "ecapa", value = ApiExamples.MODEL_INFO),
                            @ExampleObject(name = "wespeaker", value = ApiExamples.MODEL_INFO_SHERPA)}))
    @APIResponse(responseCode = "400", description = "invalid_option: this operation takes no query option",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "invalid_option", value = ApiExamples.INVALID_OPTION)))
    @APIResponse(responseCode = "503", description = "model_not_ready: no model is loaded yet (see /v1/status)",
            headers = @Header(name = "Retry-After", description = "Seconds until the next load attempt",
                    schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "model_not_ready", value = ApiExamples.MODEL_NOT_READY)))
    public ModelInfo model(@Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        EmbeddingService.LoadedModel loaded = service.readyModel();
        ServiceConfig config = service.config();
        SpeakerModel model = loaded.embedder().model();
        var status = loaded.status();
        // Everything below was learnt when the model loaded: this answer reads no file, so it costs the same on
        // the first call as on any other, and needs no admission.
        ModelInfo.Conversion conversion = model.conversion().map(c -> new ModelInfo.Conversion(c.onnxPath().toString(),
                c.onnxSizeBytes(), c.checkpointSha256(), c.converterVersion(), c.convertedNow(),
                c.conversionMillis() / 1000.0)).orElse(null);
        return new ModelInfo(config.modelId(), config.revision(), loaded.commit(),
                model.format(), model.family(), model.precision().configValue(),
                ModelFiles.describe(model.sourceFiles()), model.dimension(), model.sampleRateHz(), model.metadata(),
                model.frontEnd(), "cpu", model.onnxRuntimeVersion(), status.loadedAt(),
                status.loadTime() == null ? null : status.loadTime().toMillis() / 1000.0, conversion,
                new ModelInfo.Limits(config.maxRequestBytes(), config.minAudioSeconds(), config.maxAudioSeconds(),
                        config.maxBatchSize(), config.verifyThreshold()));
    }
}
