package dev.speakerembedding.lifecycle;

import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.EnrollmentSummary;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.ProfileState;
import dev.speakerembedding.profiles.store.ProfileChange;
import dev.speakerembedding.profiles.store.ProfileChanges;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfileStore;
import dev.speakerembedding.profiles.store.ProfileVectors;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One model's {@link ProfileIndex}, kept in step with a store that other replicas write too, by following the
 * store's change log: {@link #loadAll} records the log's last seq and then loads every enrolled profile;
 * {@link #poll} applies the changes committed since, each by reloading that profile's vectors (a change applied
 * twice, such as this server's own write, reloads the same rows again and does no harm). When the changes it
 * needs were pruned, it loads everything again.
 *
 * <p>Every method that touches the index holds this object's lock, so two reloads of one profile cannot finish in
 * the wrong order and leave the older vectors in place. A full load builds a new index and then swaps it in:
 * searches meanwhile use the previous one.
 *
 * <p>Plain Java; the server runs {@link #poll} on a timer ({@code PROFILE_SYNC_INTERVAL_MS}).
 */
public final class IndexSync {

    /** Changes read per query; a poll that gets a full batch asks again at once. */
    static final int CHANGES_PER_QUERY = 1000;
    /** Changes older than this are pruned; a replica that was away longer loads everything again. */
    static final Duration CHANGE_RETENTION = Duration.ofDays(7);
    /** Pruning is a delete over the whole log: once an hour per replica is plenty. */
    static final Duration PRUNE_INTERVAL = Duration.ofHours(1);

    /** What one poll did, for logs and tests (counts only: no ids, no vectors). */
    public record PollResult(int changes, int profilesReloaded, boolean reloadedAll, long lastSeq) {
    }

    private final ProfileStore store;
    private final ModelIdentity model;
    private final EnrollmentPolicy policy;
    private final Clock clock;
    private final int changesPerQuery;
    private final Supplier<ProfileIndex<ProfileId>> newIndex;
    private volatile ProfileIndex<ProfileId> index;
    private long lastSeq = -1;
    private Instant lastPrune;

    public IndexSync(ProfileStore store, ModelIdentity model, EnrollmentPolicy policy, Clock clock) {
        this(store, model, policy, clock, CHANGES_PER_QUERY, () -> new ProfileIndex<>(model.dimension()));
    }

    /**
     * @param newIndex makes the empty index a full load fills: one that splits large searches over the server's
     *                 cores ({@link ProfileIndex#ProfileIndex(int, java.util.concurrent.Executor, int)}), say
     */
    public IndexSync(ProfileStore store, ModelIdentity model, EnrollmentPolicy policy, Clock clock,
                     Supplier<ProfileIndex<ProfileId>> newIndex) {
        this(store, model, policy, clock, CHANGES_PER_QUERY, newIndex);
    }

    IndexSync(ProfileStore store, ModelIdentity model, EnrollmentPolicy policy, Clock clock, int changesPerQuery) {
        this(store, model, policy, clock, changesPerQuery, () -> new ProfileIndex<>(model.dimension()));
    }

    private IndexSync(ProfileStore store, ModelIdentity model, EnrollmentPolicy policy, Clock clock,
                      int changesPerQuery, Supplier<ProfileIndex<ProfileId>> newIndex) {
        this.newIndex = Objects.requireNonNull(newIndex, "newIndex");
        this.store = Objects.requireNonNull(store, "store");
        this.model = Objects.requireNonNull(model, "model");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.changesPerQuery = changesPerQuery;
    }

    public ModelIdentity model() {
        return model;
    }

    /** The index; empty until {@link #loadAll} has run. */
    public ProfileIndex<ProfileId> index() {
        ProfileIndex<ProfileId> i = index;
        if (i == null) {
            throw new IllegalStateException("the profile index is not loaded yet");
        }
        return i;
    }

    public boolean loaded() {
        return index != null;
    }

    /** The last change applied (-1 before the first load). */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /**
     * Loads every enrolled profile of the model into a new index and swaps it in. The log's last seq is read
     * first, so a write committed during the load is applied again by the next poll rather than missed.
     *
     * @return how many profiles with vectors of the model were read
     */
    public synchronized int loadAll() {
        long seq = store.latestChangeSeq();
        ProfileIndex<ProfileId> built = newIndex.get();
        if (built.dimension() != model.dimension() || built.size() != 0) {
            throw new IllegalStateException("a new profile index must be empty and of dimension " + model.dimension()
                    + ", got " + built.size() + " profiles of dimension " + built.dimension());
        }
        // One allocation of the matrix at its final size: growing it a quarter at a time while loading 1M profiles
        // copied it about 30 times (about 4 s of 16 in process, and twice the matrix in the heap at each copy).
        built.reserve(store.countProfilesWithVectors(model));
        int profiles = store.forEachProfileVectors(model, vectors -> {
            if (enrolled(vectors)) {
                built.put(vectors.profileId(), vectors.profileVector());
            }
        });
        ProfileIndex<ProfileId> previous = index;
        index = built;
        lastSeq = seq;
        if (previous != null) {
            // Zeroes the rows, so a deleted profile's vector does not linger in the heap with the old index.
            previous.clear();
        }
        return profiles;
    }

    /**
     * Applies the changes committed since the last one applied, all of them (in batches of
     * {@value #CHANGES_PER_QUERY}), or loads everything when the log no longer holds them. Loads everything when
     * nothing is loaded yet.
     */
    public synchronized PollResult poll() {
        if (index == null) {
            loadAll();
            return new PollResult(0, 0, true, lastSeq);
        }
        int changes = 0;
        int reloaded = 0;
        while (true) {
            ProfileChanges batch = store.changesSince(lastSeq, changesPerQuery);
            if (batch.reloadNeeded()) {
                loadAll();
                return new PollResult(changes, reloaded, true, lastSeq);
            }
            Set<ProfileId> ids = new LinkedHashSet<>();
            for (ProfileChange change : batch.changes()) {
                ids.add(change.profileId());
            }
            for (ProfileId id : ids) {
                refreshLocked(id);
            }
            changes += batch.changes().size();
            reloaded += ids.size();
            lastSeq = batch.nextAfterSeq(lastSeq);
            if (batch.changes().size() < changesPerQuery) {
                return new PollResult(changes, reloaded, false, lastSeq);
            }
        }
    }

    /** After a write to {@code id}: its row in the index follows what the store now holds. */
    public synchronized void refresh(ProfileId id) {
        if (index != null) {
            refreshLocked(id);
        }
    }

    /**
     * Deletes changes older than {@link #CHANGE_RETENTION}, when the last prune by this object was at least
     * {@link #PRUNE_INTERVAL} ago (or never).
     *
     * @return how many were deleted, empty when it was not time yet
     */
    public Optional<Integer> pruneIfDue() {
        Instant now = clock.instant();
        synchronized (this) {
            if (lastPrune != null && now.isBefore(lastPrune.plus(PRUNE_INTERVAL))) {
                return Optional.empty();
            }
        }
        // Outside the lock: a delete over the log must not hold up this server's writes to the index.
        int pruned = store.pruneChanges(now.minus(CHANGE_RETENTION));
        synchronized (this) {
            lastPrune = now;
        }
        return Optional.of(pruned);
    }

    private void refreshLocked(ProfileId id) {
        Optional<ProfileVectors> vectors = store.loadVectors(id, model);
        if (vectors.isPresent() && enrolled(vectors.get())) {
            index.put(id, vectors.get().profileVector());
        } else {
            index.remove(id);
        }
    }

    private boolean enrolled(ProfileVectors vectors) {
        return policy.status(List.of(new EnrollmentSummary(model, vectors.speechSeconds())), model).state()
                == ProfileState.ENROLLED;
    }
}
