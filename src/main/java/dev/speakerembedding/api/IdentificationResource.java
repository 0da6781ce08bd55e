package dev.speakerembedding.api;

import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.embedding.MeasuredEmbedding;
import dev.speakerembedding.profiles.IndexSearchResult;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.ProfileMatch;
import dev.speakerembedding.profiles.ProfileScoring;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfileStore;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** POST /v1/identify: who among the enrolled profiles is speaking, searched in the in-memory index. */
@Path("/identify")
@ApplicationScoped
@ProfileEndpoint
@Tag(name = "speakers", description = "Speaker profiles: enroll, verify")
public class IdentificationResource {

    static final int DEFAULT_TOP = 5;
    static final int MAX_TOP = 100;
    static final int MAX_CANDIDATES = 1000;
    private static final EnergyVoiceActivity VOICE_ACTIVITY =
            new EnergyVoiceActivity(EnergyVoiceActivity.Settings.DEFAULT);

    @Inject
    ProfileService profiles;

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @POST
    @Admitted
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "identifySpeaker", summary = "Who is speaking in this WAV file?",
            description = "Scores the audio against every profile enrolled under the current model (or only the "
                    + "candidates given) and returns the top best, best first; identified is the best one when its "
                    + "score is above the threshold (VERIFY_THRESHOLD or the threshold option), else absent. Scores "
                    + "are those verifySpeaker computes.")
    @RequestBody(required = true, description = "One WAV file: the multipart part audio, or the body itself",
            content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "AudioForm")),
            @Content(mediaType = "audio/wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "200", description = "The best candidates", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.Identification.class)))
    @APIResponse(responseCode = "400", description = "invalid_option (top, threshold, candidates), malformed_id "
            + "(a candidate) or malformed_audio",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "403", description = "forbidden: not from loopback",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "audio_silent, audio_too_short or audio_too_long",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "model_not_ready, saturated or profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ProfileViews.Identification identifySpeaker(
            InputStream body,
            @Parameter(description = "How many candidates to return, 1 to 100 (default 5)",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "100"))
            @QueryParam("top") String top,
            @Parameter(description = "Decision threshold for this request, from -1 to 1 (default VERIFY_THRESHOLD)",
                    schema = @Schema(type = SchemaType.NUMBER, format = "double", minimum = "-1", maximum = "1"))
            @QueryParam("threshold") String threshold,
            @Parameter(description = "Only these profiles: their ids, comma-separated (at most 1000)")
            @QueryParam("candidates") String candidates,
            @Context UriInfo uri, @Context HttpHeaders headers) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("top", "threshold", "candidates"));
        int topValue = QueryOptions.integer("top", top, DEFAULT_TOP, 1, MAX_TOP);
        double thresholdValue = QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
        Set<ProfileId> candidateIds = candidates(candidates);
        return identify(RequestBodies.readBounded(body, SpeakerResource.declaredLength(headers),
                service.config().maxRequestBytes()), topValue, thresholdValue, candidateIds);
    }

    /** identifySpeaker's multipart form (the part audio): what generated clients send. */
    @POST
    @Admitted
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    public ProfileViews.Identification identifySpeakerForm(List<EntityPart> parts, @QueryParam("top") String top,
                                                           @QueryParam("threshold") String threshold,
                                                           @QueryParam("candidates") String candidates,
                                                           @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("top", "threshold", "candidates"));
        int topValue = QueryOptions.integer("top", top, DEFAULT_TOP, 1, MAX_TOP);
        double thresholdValue = QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
        Set<ProfileId> candidateIds = candidates(candidates);
        byte[] wav = RequestBodies.readNamedParts(parts, List.of("audio"), service.config().maxRequestBytes())
                .get("audio").bytes();
        return identify(wav, topValue, thresholdValue, candidateIds);
    }

    private ProfileViews.Identification identify(byte[] wav, int topValue, double thresholdValue,
                                                 Set<ProfileId> candidateIds) throws ProblemException {
        ProfileStore store = profiles.store();
        ModelIdentity model = profiles.identity(admission.model());
        ProfileIndex<ProfileId> index = profiles.lifecycle().index(model);
        MeasuredEmbedding probe = service.embedMeasured(admission, wav, VOICE_ACTIVITY);
        IndexSearchResult<ProfileId> found = candidateIds == null
                ? index.search(probe.result().embedding(), topValue)
                : index.search(probe.result().embedding(), topValue, candidateIds);
        List<ProfileViews.Candidate> out = new ArrayList<>();
        for (ProfileMatch<ProfileId> match : found.matches()) {
            // A profile deleted meanwhile by another request is left out rather than named.
            store.profile(match.id()).ifPresent(p -> out.add(
                    new ProfileViews.Candidate(match.id().toString(), p.externalId(), match.score())));
        }
        ProfileViews.Candidate identified = !out.isEmpty()
                && ProfileScoring.accepts(out.get(0).score(), thresholdValue) ? out.get(0) : null;
        return new ProfileViews.Identification(identified, out, thresholdValue, found.profilesScored(),
                model.repoId(), model.commit());
    }

    private static Set<ProfileId> candidates(String text) throws ProblemException {
        if (text == null) {
            return null;
        }
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_CANDIDATES) {
            throw ProblemType.INVALID_OPTION.exception("candidates names " + parts.length + " profiles; at most "
                    + MAX_CANDIDATES + " are allowed");
        }
        Set<ProfileId> ids = new LinkedHashSet<>();
        for (String part : parts) {
            ids.add(ProfileService.parseId(part.trim()));
        }
        return ids;
    }
}
