package dev.speakerembedding.api;

import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.embedding.MeasuredEmbedding;
import dev.speakerembedding.profiles.InsufficientSpeechException;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileScoring;
import dev.speakerembedding.profiles.ProfileState;
import dev.speakerembedding.profiles.ProfileStatus;
import dev.speakerembedding.profiles.store.Enrollment;
import dev.speakerembedding.profiles.store.EnrollmentId;
import dev.speakerembedding.profiles.store.NewEnrollment;
import dev.speakerembedding.profiles.store.NewProfile;
import dev.speakerembedding.profiles.store.PageCursor;
import dev.speakerembedding.profiles.store.Profile;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfilePage;
import dev.speakerembedding.profiles.store.ProfileStore;
import dev.speakerembedding.profiles.store.ProfileVectors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityPart;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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

/**
 * Speaker profiles: create, list, read and delete them, enroll audio into them, and verify audio against one.
 * Every answer is about numbers: no audio is stored, and no vector leaves the service.
 */
@Path("/speakers")
@ApplicationScoped
@ProfileEndpoint
@SecurityRequirement(name = "bearerJwt")
@APIResponse(responseCode = "401", ref = "Unauthorized")
@APIResponse(responseCode = "403", ref = "Forbidden")
@ProfileRole.Required(ProfileRole.MANAGE)
@Tag(name = "speakers", description = "Speaker profiles: enroll, verify")
public class SpeakerResource {

    /** Largest JSON body of a create request: the metadata's 4096 bytes, escaped, and an external id. */
    static final long MAX_CREATE_BODY_BYTES = 64 * 1024;
    static final int DEFAULT_PAGE_SIZE = 100;
    private static final EnergyVoiceActivity VOICE_ACTIVITY =
            new EnergyVoiceActivity(EnergyVoiceActivity.Settings.DEFAULT);
    private static final String ID = "The profile's id (a UUID, as returned by createSpeaker)";

    @Inject
    ProfileService profiles;

    @Inject
    EmbeddingService service;

    @Inject
    RequestAdmission admission;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "createSpeaker", summary = "Create a speaker profile",
            description = "Creates an empty profile (state enrolling) with an optional external_id (unique) and "
                    + "optional metadata (a JSON object of at most 4096 bytes). Enroll audio into it next.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.NewSpeaker.class)))
    @APIResponse(responseCode = "201", description = "Created", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ProfileViews.Speaker.class)))
    @APIResponse(responseCode = "400", description = "invalid_json, invalid_external_id or invalid_metadata",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "duplicate_external_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "metadata_too_large or request_too_large",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable", headers = @Header(
            name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response createSpeaker(InputStream body, @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        NewProfile request = newProfile(RequestBodies.readBounded(body, MAX_CREATE_BODY_BYTES));
        ProfileStore store = profiles.store();
        Profile created = store.createProfile(request);
        return Response.created(URI.create("/v1/speakers/" + created.id())).type(MediaType.APPLICATION_JSON)
                .entity(profiles.view(created, List.of())).build();
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "listSpeakers", summary = "List speaker profiles",
            description = "Profiles in creation order, limit at a time; pass next_cursor as cursor for the next "
                    + "page. With external_id, the one profile that has it (or none).")
    @APIResponse(responseCode = "200", description = "A page", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ProfileViews.SpeakerPage.class)))
    @APIResponse(responseCode = "400", description = "invalid_option (limit, cursor) or invalid_external_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ProfileViews.SpeakerPage listSpeakers(
            @Parameter(description = "Profiles per page, 1 to 1000 (default 100)",
                    schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "1000"))
            @QueryParam("limit") String limit,
            @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor") String cursor,
            @Parameter(description = "Only the profile with this external id")
            @QueryParam("external_id") String externalId,
            @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("limit", "cursor", "external_id"));
        int pageSize = QueryOptions.integer("limit", limit, DEFAULT_PAGE_SIZE, 1, ProfileStore.MAX_PAGE_SIZE);
        ProfileStore store = profiles.store();
        if (externalId != null) {
            List<ProfileViews.Speaker> found = store.profileByExternalId(externalId)
                    .map(p -> List.of(profiles.view(p, store))).orElse(List.of());
            return new ProfileViews.SpeakerPage(found, null);
        }
        ProfilePage page = store.listProfiles(pageSize, cursor == null ? null : PageCursor.parse(cursor));
        return new ProfileViews.SpeakerPage(page.profiles().stream()
                .map(p -> profiles.view(p, page.enrollmentsOf(p.id()))).toList(),
                page.nextCursor().map(PageCursor::encode).orElse(null));
    }

    @GET
    @Path("/{id}")
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "getSpeaker", summary = "Read a speaker profile",
            description = "The profile and where it stands for the model being served: state, speech so far and "
                    + "still needed.")
    @APIResponse(responseCode = "200", description = "The profile", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ProfileViews.Speaker.class)))
    @APIResponse(responseCode = "400", description = "malformed_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ProfileViews.Speaker getSpeaker(@Parameter(description = ID) @PathParam("id") String id,
                                           @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        ProfileStore store = profiles.store();
        return profiles.view(profiles.requireProfile(store, profileId), store);
    }

    @DELETE
    @Path("/{id}")
    @Produces(Problem.MEDIA_TYPE)
    @Operation(operationId = "deleteSpeaker", summary = "Delete a speaker profile",
            description = "Deletes the profile and every enrollment of it, vectors included, in one transaction. "
                    + "Database backups taken before are not reached (README).")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "400", description = "malformed_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response deleteSpeaker(@Parameter(description = ID) @PathParam("id") String id, @Context UriInfo uri)
            throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        if (!profiles.store().deleteProfile(profileId)) {
            throw ProfileService.notFound(profileId);
        }
        profiles.refreshIndex(profileId);
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/enrollments")
    @Admitted
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "enrollSpeaker", summary = "Enroll WAV files into a profile",
            description = "Embeds each WAV file with the model being served and stores its embedding (never the "
                    + "audio) with its duration, its speech duration and the model's identity. Send one file as the "
                    + "body, or several as multipart/form-data parts named audio (at most MAX_BATCH_SIZE; one file "
                    + "is a batch of one, which is what generated clients send): a batch is stored all or none. "
                    + "Each file must hold at least 1 s of speech (insufficient_speech otherwise, naming the part). "
                    + "The profile is enrolled once its enrollments under the current model hold "
                    + "ENROLLMENT_MIN_SPEECH_SECONDS of speech in total; the answer says how much is still needed.")
    @RequestBody(required = true, description = "WAV files: multipart parts audio, or one file as the body",
            content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "EnrollmentForm")),
            @Content(mediaType = "audio/wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "201", description = "Stored", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.EnrollmentResult.class)))
    @APIResponse(responseCode = "400", description = "malformed_id or malformed_audio",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "request_too_large or batch_too_large",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "415", description = "unsupported_media_type or unsupported_audio_encoding",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "insufficient_speech, audio_silent, audio_too_short or "
            + "audio_too_long: nothing stored",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "model_not_ready, saturated or profile_store_unavailable",
            headers = @Header(name = "Retry-After", schema = @Schema(type = SchemaType.INTEGER)),
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response enrollSpeaker(@Parameter(description = ID) @PathParam("id") String id, InputStream body,
                                  @Context UriInfo uri, @Context HttpHeaders headers) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        return enroll(profileId, List.of(new AudioUpload(null, RequestBodies.readBounded(body,
                declaredLength(headers), service.config().maxRequestBytes()))));
    }

    /** enrollSpeaker's multipart form (parts named audio): what generated clients send. */
    @POST
    @Path("/{id}/enrollments")
    @Admitted
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    public Response enrollSpeakerForm(@PathParam("id") String id, List<EntityPart> parts, @Context UriInfo uri)
            throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        for (EntityPart part : parts == null ? List.<EntityPart>of() : parts) {
            if (!"audio".equals(part.getName())) {
                throw ProblemType.INVALID_MULTIPART.exception("unexpected part '"
                        + RequestBodies.truncate(part.getName()) + "'; send each WAV file as a part named audio");
            }
        }
        return enroll(profileId, RequestBodies.readAudioParts(parts, service.config().maxRequestBytes(),
                service.config().maxBatchSize()));
    }

    /** Embeds and checks every file first, then stores them in one transaction: all or none. */
    private Response enroll(ProfileId profileId, List<AudioUpload> uploads) throws ProblemException {
        ProfileStore store = profiles.store();
        profiles.requireProfile(store, profileId);
        ModelIdentity model = profiles.identity(admission.model());
        List<MeasuredEmbedding> measured = service.embedMeasuredAll(admission, uploads, VOICE_ACTIVITY);
        List<NewEnrollment> batch = new ArrayList<>(measured.size());
        for (int i = 0; i < measured.size(); i++) {
            double duration = measured.get(i).result().durationSeconds();
            // Measured on the resampled waveform, which may be a sample longer than the file.
            double speech = Math.min(measured.get(i).speech().speechSeconds(), duration);
            try {
                profiles.policy().checkEnrollment(speech);
            } catch (InsufficientSpeechException e) {
                String part = uploads.size() == 1 && uploads.get(i).name() == null ? ""
                        : "part " + i + " ('" + RequestBodies.truncate(uploads.get(i).name()) + "'): ";
                throw ProblemType.INSUFFICIENT_SPEECH.exception(part + e.getMessage() + "; nothing was stored");
            }
            batch.add(NewEnrollment.of(model, measured.get(i).result().embedding(), duration, speech));
        }
        return stored(store, profileId, batch);
    }

    private Response stored(ProfileStore store, ProfileId profileId, List<NewEnrollment> batch)
            throws ProblemException {
        List<Enrollment> stored = store.addEnrollments(profileId, batch);
        profiles.refreshIndex(profileId);
        Profile profile = profiles.requireProfile(store, profileId);
        return Response.status(Response.Status.CREATED).type(MediaType.APPLICATION_JSON)
                .entity(new ProfileViews.EnrollmentResult(stored.stream().map(profiles::view).toList(),
                        profiles.view(profile, store)))
                .build();
    }

    @POST
    @Path("/{id}/enrollments/embedding")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "enrollSpeakerEmbedding", summary = "Enroll an embedding into a profile",
            description = "Stores an embedding made earlier (by createEmbeddings with normalize=false; unit_length "
                    + "does not matter, stored vectors are unit-length) with the numbers measured on its audio. It "
                    + "is taken only from the model being served: model must equal that model's identity in every "
                    + "field (family speechbrain-ecapa, repo and commit as getModel reports them, dimension, "
                    + "normalization raw, precision fp32), else 409 model_mismatch naming the fields that differ, "
                    + "and nothing is stored. speech_seconds must be at least 1 s, as for audio.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.EmbeddingEnrollment.class)))
    @APIResponse(responseCode = "201", description = "Stored", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.EnrollmentResult.class)))
    @APIResponse(responseCode = "400", description = "malformed_id or invalid_json",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "model_mismatch: made by another model; nothing stored",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "413", description = "request_too_large",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "invalid_embedding (wrong length, NaN or infinite, zero; "
            + "durations) or insufficient_speech: nothing stored",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "model_not_ready or profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response enrollSpeakerEmbedding(@Parameter(description = ID) @PathParam("id") String id,
                                           InputStream body, @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        EmbeddingEnrollmentRequest request = EmbeddingEnrollmentRequest.parse(RequestBodies.readBounded(body,
                EmbeddingEnrollmentRequest.MAX_BODY_BYTES));
        ModelIdentity model = profiles.currentIdentity().orElseThrow(() -> ProblemType.MODEL_NOT_READY.exception(
                "no model is served yet, so no embedding can be matched to it; retry once /health/ready is up", 5));
        List<String> differ = request.mismatches(model);
        if (!differ.isEmpty()) {
            throw ProblemType.MODEL_MISMATCH.exception("the embedding was made by another model (" + String.join(
                    ", ", differ) + " differ from the model being served, see getModel): it cannot be compared "
                    + "with this model's; enroll audio instead; nothing was stored");
        }
        // Checked before the profile is looked up so that refused input costs no database round trip.
        NewEnrollment enrollment = NewEnrollment.of(model, request.embedding(), request.durationSeconds(),
                request.speechSeconds());
        try {
            profiles.policy().checkEnrollment(enrollment.speechSeconds());
        } catch (InsufficientSpeechException e) {
            throw ProblemType.INSUFFICIENT_SPEECH.exception(e.getMessage() + "; nothing was stored");
        }
        ProfileStore store = profiles.store();
        profiles.requireProfile(store, profileId);
        return stored(store, profileId, List.of(enrollment));
    }

    @GET
    @Path("/{id}/enrollments")
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "listEnrollments", summary = "List a profile's enrollments",
            description = "Oldest first: durations, speech, the model that made each, never audio or vectors.")
    @APIResponse(responseCode = "200", description = "The enrollments", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.EnrollmentList.class)))
    @APIResponse(responseCode = "400", description = "malformed_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ProfileViews.EnrollmentList listEnrollments(@Parameter(description = ID) @PathParam("id") String id,
                                                       @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        return new ProfileViews.EnrollmentList(profiles.store().listEnrollments(profileId).stream()
                .map(profiles::view).toList());
    }

    @DELETE
    @Path("/{id}/enrollments")
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "resetEnrollments", summary = "Delete all of a profile's enrollments",
            description = "A reset: the profile stays, enrolling again from nothing.")
    @APIResponse(responseCode = "200", description = "Deleted", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.EnrollmentReset.class)))
    @APIResponse(responseCode = "400", description = "malformed_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public ProfileViews.EnrollmentReset resetEnrollments(@Parameter(description = ID) @PathParam("id") String id,
                                                         @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        ProfileStore store = profiles.store();
        int deleted = store.deleteEnrollments(profileId);
        profiles.refreshIndex(profileId);
        return new ProfileViews.EnrollmentReset(deleted, profiles.view(profiles.requireProfile(store, profileId),
                List.of()));
    }

    @DELETE
    @Path("/{id}/enrollments/{enrollmentId}")
    @Produces(Problem.MEDIA_TYPE)
    @Operation(operationId = "deleteEnrollment", summary = "Delete one enrollment of a profile",
            description = "Deletes the enrollment and its vector; the profile's state follows.")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "400", description = "malformed_id",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found or enrollment_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response deleteEnrollment(@Parameter(description = ID) @PathParam("id") String id,
                                     @Parameter(description = "The enrollment's id (a UUID)")
                                     @PathParam("enrollmentId") String enrollmentId,
                                     @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of());
        ProfileId profileId = ProfileService.parseId(id);
        EnrollmentId eid = EnrollmentId.parse(enrollmentId);
        if (!profiles.store().deleteEnrollment(profileId, eid)) {
            throw ProblemType.ENROLLMENT_NOT_FOUND.exception("profile " + profileId + " has no enrollment " + eid);
        }
        profiles.refreshIndex(profileId);
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/verify")
    @Admitted
    @ServerTimed
    @Consumes({"audio/wav", "audio/x-wav", "audio/wave", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(operationId = "verifySpeaker", summary = "Is this WAV file the profile's speaker?",
            description = "Scores the audio's embedding against the profile vector (the unit-length mean of the "
                    + "profile's unit-length enrollment embeddings made by the current model, as sherpa-onnx and "
                    + "wespeaker score) and decides same_speaker when the score is above the threshold "
                    + "(VERIFY_THRESHOLD, or the threshold query option). Enrollments of another model are left "
                    + "out and counted. 409 profile_not_enrolled while the profile is enrolling.")
    @RequestBody(required = true, description = "One WAV file: the multipart part audio, or the body itself",
            content = {
            @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(ref = "AudioForm")),
            @Content(mediaType = "audio/wav", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM,
                    schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "200",
            headers = @Header(name = ServerTimed.HEADER, description = ServerTimed.DESCRIPTION,
                    schema = @Schema(type = SchemaType.STRING)),
            description = "The score and the decision", content = @Content(
            mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ProfileViews.SpeakerVerification.class)))
    @APIResponse(responseCode = "400", description = "malformed_id, malformed_audio or invalid_option",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "profile_not_found",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "profile_not_enrolled (enrolling, or needs re-enrollment)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "audio_silent, audio_too_short or audio_too_long",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "503", description = "model_not_ready, saturated or profile_store_unavailable",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @ProfileRole.Required(ProfileRole.VERIFY)
    public ProfileViews.SpeakerVerification verifySpeaker(
            @Parameter(description = ID) @PathParam("id") String id, InputStream body,
            @Parameter(description = "Decision threshold for this request, from -1 to 1 (default VERIFY_THRESHOLD)",
                    schema = @Schema(type = SchemaType.NUMBER, format = "double", minimum = "-1", maximum = "1"))
            @QueryParam("threshold") String threshold,
            @Context UriInfo uri, @Context HttpHeaders headers) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("threshold"));
        double thresholdValue = QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
        ProfileId profileId = ProfileService.parseId(id);
        return verify(profileId, RequestBodies.readBounded(body, declaredLength(headers),
                service.config().maxRequestBytes()), thresholdValue);
    }

    /** verifySpeaker's multipart form (the part audio): what generated clients send. */
    @POST
    @Path("/{id}/verify")
    @Admitted
    @ServerTimed
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
    @Operation(hidden = true)
    @ProfileRole.Required(ProfileRole.VERIFY)
    public ProfileViews.SpeakerVerification verifySpeakerForm(@PathParam("id") String id, List<EntityPart> parts,
                                                              @QueryParam("threshold") String threshold,
                                                              @Context UriInfo uri) throws ProblemException {
        QueryOptions.requireKnown(uri.getQueryParameters(), Set.of("threshold"));
        double thresholdValue = QueryOptions.threshold("threshold", threshold, service.config().verifyThreshold());
        ProfileId profileId = ProfileService.parseId(id);
        return verify(profileId, audioPart(parts), thresholdValue);
    }

    private ProfileViews.SpeakerVerification verify(ProfileId profileId, byte[] wav, double thresholdValue)
            throws ProblemException {
        ProfileStore store = profiles.store();
        ModelIdentity model = profiles.identity(admission.model());
        List<Enrollment> enrollments = store.listEnrollments(profileId);
        ProfileStatus status = profiles.status(enrollments, model);
        if (status.state() != ProfileState.ENROLLED) {
            throw notEnrolled(status);
        }
        Optional<ProfileVectors> vectors = store.loadVectors(profileId, model);
        if (vectors.isEmpty()) {
            throw notEnrolled(status);
        }
        MeasuredEmbedding probe = service.embedMeasured(admission, wav, VOICE_ACTIVITY);
        ProfileScoring.Verification v = ProfileScoring.verify(vectors.get().profileVector(),
                probe.result().embedding(), thresholdValue);
        return new ProfileViews.SpeakerVerification(profileId.toString(), v.score(), v.threshold(), v.accepted(),
                vectors.get().unitEmbeddings().size(), status.otherModelEnrollments(), model.repoId(),
                model.commit());
    }

    static ProblemException notEnrolled(ProfileStatus status) {
        return ProblemType.PROFILE_NOT_ENROLLED.exception(status.state() == ProfileState.NEEDS_REENROLLMENT
                ? "the profile's enrollments were all made by another model: enroll it again with this one"
                : String.format(java.util.Locale.ROOT, "the profile is still enrolling: %.2f s more speech needed "
                        + "(ENROLLMENT_MIN_SPEECH_SECONDS)", status.remainingSpeechSeconds()));
    }

    /** The one part named audio of a multipart body. */
    byte[] audioPart(List<EntityPart> parts) throws ProblemException {
        return RequestBodies.readNamedParts(parts, List.of("audio"), service.config().maxRequestBytes())
                .get("audio").bytes();
    }

    /** The Content-Length, already checked by {@link RequestSizeLimit}; -1 when there is none. */
    static long declaredLength(HttpHeaders headers) {
        try {
            return RequestSizeLimit.declaredLength(headers.getHeaderString(HttpHeaders.CONTENT_LENGTH));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Strict: an object with at most external_id (string) and metadata (object), each may be null or absent. */
    static NewProfile newProfile(byte[] json) throws ProblemException {
        if (json.length == 0) {
            return NewProfile.EMPTY;
        }
        JsonObject o;
        try (JsonReader r = Json.createReader(new ByteArrayInputStream(json))) {
            JsonValue v = r.readValue();
            if (v.getValueType() != JsonValue.ValueType.OBJECT) {
                throw ProblemType.INVALID_JSON.exception("the body must be a JSON object such as "
                        + "{\"external_id\":\"...\",\"metadata\":{...}}");
            }
            o = v.asJsonObject();
        } catch (JsonException | IllegalStateException e) {
            throw ProblemType.INVALID_JSON.exception("the body is not valid JSON");
        }
        for (String key : o.keySet()) {
            if (!key.equals("external_id") && !key.equals("metadata")) {
                throw ProblemType.INVALID_JSON.exception("unknown field '" + RequestBodies.truncate(key)
                        + "'; a profile takes external_id and metadata");
            }
        }
        String externalId = null;
        JsonValue ext = o.get("external_id");
        if (ext != null && ext.getValueType() != JsonValue.ValueType.NULL) {
            if (ext.getValueType() != JsonValue.ValueType.STRING) {
                throw ProblemType.INVALID_EXTERNAL_ID.exception("external_id must be a string");
            }
            externalId = o.getString("external_id");
        }
        String metadata = null;
        JsonValue meta = o.get("metadata");
        if (meta != null && meta.getValueType() != JsonValue.ValueType.NULL) {
            if (meta.getValueType() != JsonValue.ValueType.OBJECT) {
                throw ProblemType.INVALID_METADATA.exception("metadata must be a JSON object");
            }
            metadata = meta.toString();
        }
        return new NewProfile(externalId, metadata);
    }
}
