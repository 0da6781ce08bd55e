package dev.speakerembedding.api;

import dev.speakerembedding.lifecycle.ProfileLifecycle;
import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileState;
import dev.speakerembedding.profiles.ProfileStatus;
import dev.speakerembedding.profiles.store.Enrollment;
import dev.speakerembedding.profiles.store.OtherModelEnrollments;
import dev.speakerembedding.profiles.store.Profile;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfileStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/** What the profile resources share: the store or a 503, the serving model's identity, and the JSON views. */
@ApplicationScoped
public class ProfileService {

    private static final Logger LOG = Logger.getLogger(ProfileService.class.getName());
    private static final Jsonb JSONB = JsonbBuilder.create();

    /** The last count over every profile, with the change seq it was taken at (a race only recounts). */
    private volatile LeftOutCount leftOutCount;

    @Inject
    ProfileLifecycle lifecycle;

    @Inject
    EmbeddingService embeddings;

    /**
     * The store, or 503 profile_store_unavailable with Retry-After: before the store is set up, and while the index
     * poller finds the database gone. The latter answers at once instead of letting every request wait out the
     * driver's timeouts on a database that stopped answering (a network partition holds each request for up to
     * validationTimeout plus twice socketTimeout, server.xml); the poller keeps trying every
     * PROFILE_SYNC_INTERVAL_MS and the first poll that succeeds opens the store again.
     */
    ProfileStore store() throws ProblemException {
        Optional<ProfileStore> store = lifecycle.store();
        if (store.isEmpty()) {
            // The reason itself is for operators (the server's log, /health/ready), not for every client.
            throw ProblemType.PROFILE_STORE_UNAVAILABLE.exception("the profile database cannot be used yet; the "
                    + "service keeps trying (the server's log and /health/ready say why)",
                    (int) embeddings.config().profileDbRetry().toSeconds());
        }
        if (!lifecycle.storeAvailable()) {
            throw ProblemType.PROFILE_STORE_UNAVAILABLE.exception("the profile database stopped answering; the "
                    + "service reconnects by itself (the server's log and /health/ready say why)",
                    ProfileStoreExceptionMapper.UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
        return store.get();
    }

    ProfileLifecycle lifecycle() {
        return lifecycle;
    }

    EnrollmentPolicy policy() {
        return lifecycle.policy();
    }

    /** The identity of {@code model}: what stored vectors made by it carry. */
    ModelIdentity identity(EmbeddingService.LoadedModel model) {
        return ProfileLifecycle.identity(embeddings.config().modelId(), model.commit(), model.embedder().model());
    }

    /** The current model's identity when one is served; else none (a profile's state is then unknown). */
    Optional<ModelIdentity> currentIdentity() {
        return lifecycle.currentModel();
    }

    /** 404 profile_not_found unless it exists. */
    Profile requireProfile(ProfileStore store, ProfileId id) throws ProblemException {
        return store.profile(id).orElseThrow(() -> notFound(id));
    }

    static ProblemException notFound(ProfileId id) {
        return ProblemType.PROFILE_NOT_FOUND.exception("no speaker profile has id " + id);
    }

    static ProfileId parseId(String text) {
        return ProfileId.parse(text);
    }

    ProfileStatus status(List<Enrollment> enrollments, ModelIdentity model) {
        return policy().status(enrollments.stream().map(Enrollment::summary).toList(), model);
    }

    ProfileViews.Speaker view(Profile p, ProfileStore store) {
        return view(p, store.listEnrollments(p.id()));
    }

    /**
     * The profile's view. Without a served model no enrollment can be said to be current: the state is then
     * computed as if every enrollment were another model's.
     */
    ProfileViews.Speaker view(Profile p, List<Enrollment> enrollments) {
        Optional<ModelIdentity> current = currentIdentity();
        ProfileStatus status = current.map(m -> status(enrollments, m))
                .orElseGet(() -> new ProfileStatus(enrollments.isEmpty() ? ProfileState.ENROLLING
                        : ProfileState.NEEDS_REENROLLMENT, 0, enrollments.size(), 0,
                        policy().minSpeechSeconds()));
        return new ProfileViews.Speaker(p.id().toString(), p.externalId(), metadata(p.metadataJson()),
                status.state().name().toLowerCase(Locale.ROOT), status.currentEnrollments(),
                status.otherModelEnrollments(), status.speechSeconds(), status.remainingSpeechSeconds(),
                p.createdAt(), p.updatedAt());
    }

    ProfileViews.Enrollment view(Enrollment e) {
        boolean current = currentIdentity().map(e.modelIdentity()::equals).orElse(false);
        return new ProfileViews.Enrollment(e.id().toString(), e.durationSeconds(), e.speechSeconds(),
                e.modelIdentity().repoId(), e.modelIdentity().commit(), current, e.createdAt());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metadata(String json) {
        return json == null ? null : JSONB.fromJson(json, Map.class);
    }

    /**
     * What scoring under {@code model} leaves out among {@code among} (every profile when null). The count over every
     * profile scans the enrollments, so it is kept until the change log moves on (any replica's write) or the model
     * changes; a set of candidates is bounded and counted each time.
     */
    OtherModelEnrollments otherModelEnrollments(ProfileStore store, ModelIdentity model, Set<ProfileId> among) {
        if (among != null) {
            return store.otherModelEnrollments(model, among);
        }
        long seq = store.latestChangeSeq();
        LeftOutCount cached = leftOutCount;
        if (cached != null && cached.seq() == seq && cached.model().equals(model)) {
            return cached.count();
        }
        OtherModelEnrollments count = store.otherModelEnrollments(model, null);
        leftOutCount = new LeftOutCount(seq, model, count);
        return count;
    }

    private record LeftOutCount(long seq, ModelIdentity model, OtherModelEnrollments count) {
    }

    /** After a write: the index follows the store; a failure here leaves the write done and is logged. */
    void refreshIndex(ProfileId id) {
        try {
            lifecycle.refresh(id);
        } catch (RuntimeException e) {
            LOG.warning(
                    "Profile index not updated after a write to profile " + id + ": " + e.getMessage());
        }
    }
}
