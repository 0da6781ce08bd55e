package dev.speakerembedding.api;

import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.embedding.MeasuredEmbedding;
import dev.speakerembedding.metrics.ServiceMetrics;
import dev.speakerembedding.profiles.IndexSearchResult;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.ProfileMatch;
import dev.speakerembedding.profiles.ProfileScoring;
import dev.speakerembedding.profiles.store.OtherModelEnrollments;
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
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** POST /v1/identify: who among the enrolled profiles is speaking, searched in the in-memory index. */
@Path("/identify")
@ApplicationScoped
@ProfileEndpoint
@SecurityRequirement(name = "bearerJwt")
@APIResponse(responseCode = "401", ref = "Unauthorized")
@APIResponse(responseCode = "403", ref = "Forbidden")
@ProfileRole.Required(ProfileRole.VERIFY)
@ServerTimed
@Tag(name = "speakers", description = "Speaker profiles: enroll, verify")
public class IdentificationResource {

    static final int DEFAULT_TOP = 5;
    static final int MAX_TOP = 100;
    /** The store's bound on one lookup of external ids. */
    static final int MAX_CANDIDATES = ProfileStore.MAX_EXTERNAL_ID_LOOKUP;
    private static final Pattern UUID_FORM =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final EnergyVoiceActivity VOICE_ACTIVITY =
            new EnergyVoiceActivity(EnergyVoiceActivity.Settings.DEFAULT);

    @Inject
    ProfileService profiles;

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @Inject
    ServiceMetrics metrics;

    @POST
    @Admitted
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "identifySpeaker", summary = "Who is speaking in this WAV file?",
            description = "Scores the audio against every profile enrolled under the current model (or only the "
                    + "candidates given) and returns the top best, best first; identified is the best one when its "
                    + "score is above the threshold (VERIFY_THRESHOLD or the threshold option), else absent. Scores "
                    + "are those verifySpeaker computes. Enrollments made by another model are never scored: "
                    + "enrollments_left_out and profiles_left_out count them among the profiles searched.")
    @RequestBody(required = true, description = "One WAV file: the multipart part audio, or the body itself",
            content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "AudioForm")),
            @Content(mediaType = "audio/wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "200",
            headers = @Header(name = ServerTimed.HEADER, description = ServerTimed.DESCRIPTION,
                    schema = @Schema(type = SchemaType.STRING)),
            description = "The best candidates", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.Identification.class)))
    @APIResponse(responseCode = "400", description = "invalid_option (top, threshold, candidates: an empty "
            + "entry or over 1000), invalid_external_id (a candidate no profile could have) or malformed_audio",
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
            @Parameter(description = "Only these profiles: their ids or external ids, comma-separated (at most "
                    + "1000; spaces around each are ignored). An entry of UUID form names the profile with that id "
                    + "and the one with that external id; entries that name no profile are ignored.")
            @QueryParam("candidates") String candidates,
            @Context UriInfo uri, @Context HttpHeaders headers) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("top", "threshold", "candidates"));
        int topValue = QueryOptions.integer("top", top, DEFAULT_TOP, 1, MAX_TOP);
        double thresholdValue = QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
        List<String> candidateEntries = candidates(candidates);
        return identify(RequestBodies.readBounded(body, SpeakerResource.declaredLength(headers),
                service.config().maxRequestBytes()), topValue, thresholdValue, candidateEntries);
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
        List<String> candidateEntries = candidates(candidates);
        byte[] wav = RequestBodies.readNamedParts(parts, List.of("audio"), service.config().maxRequestBytes())
                .get("audio").bytes();
        return identify(wav, topValue, thresholdValue, candidateEntries);
    }

    private ProfileViews.Identification identify(byte[] wav, int topValue, double thresholdValue,
                                                 List<String> candidateEntries) throws ProblemException {
        ProfileStore store = profiles.store();
        ModelIdentity model = profiles.identity(admission.model());
        Set<ProfileId> candidateIds = candidateEntries == null ? null : resolve(store, candidateEntries);
        ProfileIndex<ProfileId> index = profiles.lifecycle().index(model);
        MeasuredEmbedding probe = service.embedMeasured(admission, wav, VOICE_ACTIVITY);
        long searchStart = System.nanoTime();
        IndexSearchResult<ProfileId> found = candidateIds == null
                ? index.search(probe.result().embedding(), topValue)
                : index.search(probe.result().embedding(), topValue, candidateIds);
        metrics.identifySearch(System.nanoTime() - searchStart);
        OtherModelEnrollments leftOut = profiles.otherModelEnrollments(store, model, candidateIds);
        List<ProfileViews.Candidate> out = new ArrayList<>();
        for (ProfileMatch<ProfileId> match : found.matches()) {
            // A profile deleted meanwhile by another request is left out rather than named.
            store.profile(match.id()).ifPresent(p -> out.add(
                    new ProfileViews.Candidate(match.id().toString(), p.externalId(), match.score())));
        }
        ProfileViews.Candidate identified = !out.isEmpty()
                && ProfileScoring.accepts(out.get(0).score(), thresholdValue) ? out.get(0) : null;
        return new ProfileViews.Identification(identified, out, thresholdValue, found.profilesScored(),
                leftOut.enrollments(), leftOut.profiles(), model.repoId(), model.commit());
    }

    /** The comma-separated entries, trimmed; the count is bounded before anything is looked up. */
    static List<String> candidates(String text) throws ProblemException {
        if (text == null) {
            return null;
        }
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_CANDIDATES) {
            throw ProblemType.INVALID_OPTION.exception("candidates names " + parts.length + " profiles; at most "
                    + MAX_CANDIDATES + " are allowed");
        }
        List<String> entries = new ArrayList<>(parts.length);
        for (String part : parts) {
            String entry = part.trim();
            if (entry.isEmpty()) {
                throw ProblemType.INVALID_OPTION.exception("candidates holds an empty entry; give profile ids or "
                        + "external ids separated by commas");
            }
            entries.add(entry);
        }
        return entries;
    }

    /**
     * Each entry names the profile with that external id, and, when it is a UUID, also the profile with that id:
     * an external id may itself be a UUID, and looking both up means neither kind is ever missed. Entries that
     * name no profile name nothing.
     */
    static Set<ProfileId> resolve(ProfileStore store, List<String> entries) {
        Set<ProfileId> ids = new LinkedHashSet<>();
        List<String> externalIds = new ArrayList<>(entries.size());
        for (String entry : entries) {
            if (UUID_FORM.matcher(entry).matches()) {
                ids.add(ProfileService.parseId(entry));
            }
            externalIds.add(entry);
        }
        ids.addAll(store.profileIdsByExternalIds(externalIds).values());
        return ids;
    }
}
