package dev.speakerembedding.lifecycle;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.model.ModelPrecision;
import dev.speakerembedding.model.SpeakerModel;
import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileIndex;
import dev.speakerembedding.profiles.ProfileStateCounts;
import dev.speakerembedding.profiles.store.JdbcProfileStore;
import dev.speakerembedding.profiles.store.ProfileId;
import dev.speakerembedding.profiles.store.ProfileSchema;
import dev.speakerembedding.profiles.store.ProfileStore;
import dev.speakerembedding.profiles.store.ProfileStoreUnavailableException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The CDI edge of speaker profiles: gets the profile dataSource, brings its schema up to date with Flyway, builds
 * the {@link JdbcProfileStore}, and keeps the in-memory {@link ProfileIndex} of the serving model's profiles.
 *
 * <p>The database never holds the server back: the application starts whether or not it answers, the embedding
 * endpoints do not depend on it, and until the schema is migrated the profile endpoints answer 503
 * {@code profile_store_unavailable}. A worker thread tries again every {@code PROFILE_DB_RETRY_SECONDS} until it
 * succeeds. A database lost later is noticed by the index poller below ({@link #storeAvailable()}): readiness then
 * says so and the profile endpoints answer 503 at once, until a poll succeeds again on a new connection from
 * Liberty's pool (which has dropped the broken ones).
 *
 * <p>The index holds the unit profile vectors of the profiles enrolled under the serving model. It is built once
 * the model is READY (by the worker, or by the first identification, whichever comes first) and updated at once by
 * this server's writes. Writes made by other replicas on a shared database reach it through the store's change log,
 * which the worker polls every {@code PROFILE_SYNC_INTERVAL_MS} ({@link IndexSync}): a write on another replica is
 * seen here at most about that interval plus one poll later. A failed poll (the database gone) is logged and
 * tried again at the next tick.
 */
@ApplicationScoped
public class ProfileLifecycle {

    private static final Logger LOG = Logger.getLogger(ProfileLifecycle.class.getName());
    /**
     * Parts a large search is split into: the cores the JVM sees, at most 4 (memory bandwidth, not arithmetic,
     * bounds a scan of a large index, and a few cores already take most of it).
     */
    static final int SCAN_PARTS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    @Inject
    ServiceConfig config;

    @Inject
    ModelLifecycle models;

    @Inject
    Instance<ProfileDataSource> dataSources;

    private volatile ProfileStore store;
    private volatile String unavailableReason = "the profile database has not been reached yet";
    /** Set while the index poller finds the database gone after it was set up; null while it answers. */
    private volatile String lostReason;
    private volatile IndexSync sync;
    /** The last count of profiles by state, taken by the poller (its thread only writes it). */
    private volatile StateCount stateCount;
    private boolean syncFailing;
    private final Object indexLock = new Object();
    private ScheduledExecutorService worker;
    /**
     * Scans parts of large identification searches beside the requesting thread (ProfileIndex splits an index of
     * at least {@link ProfileIndex#DEFAULT_PARALLEL_MIN_ROWS} rows into one part per core): a search among 1M
     * profiles reads 768 MB, which one core reads at about half the speed two do.
     */
    private ExecutorService scanHelpers;

    void onStart(@Observes Startup event) {
        AtomicInteger helperNumber = new AtomicInteger();
        scanHelpers = Executors.newFixedThreadPool(Math.max(1, SCAN_PARTS - 1), r -> {
            Thread t = new Thread(r, "profile-scan-" + helperNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "profile-store");
            t.setDaemon(true);
            return t;
        });
        LOG.info("Speaker profiles in " + config.profileDatabaseKind()
                + (config.profileDatabaseKind().startsWith("h2") ? " under " + config.dataDir() : ""));
        worker.execute(this::connect);
    }

    private void connect() {
        try {
            DataSource dataSource = dataSources.get().get();
            if (dataSource == null) {
                throw new IllegalStateException("no dataSource " + ProfileDataSource.JNDI_NAME + " in server.xml");
            }
            ProfileSchema.Migration migration = ProfileSchema.migrate(dataSource);
            store = new JdbcProfileStore(dataSource);
            unavailableReason = null;
            LOG.info(String.format("Profile store ready: schema version %s (%d migrations applied now)",
                    migration.schemaVersion(), migration.appliedMigrations()));
            worker.scheduleWithFixedDelay(this::syncTick, 0, config.profileSyncInterval().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            // Store messages name the operation, never a stored value; the cause chain may hold a driver's text.
            unavailableReason = "the profile database cannot be used: " + redacted(e.getMessage());
            LOG.log(Level.WARNING, unavailableReason + "; trying again in " + config.profileDbRetry().toSeconds()
                    + " s (PROFILE_DB_RETRY_SECONDS)");
            worker.schedule(this::connect, config.profileDbRetry().toSeconds(), TimeUnit.SECONDS);
        }
    }

    /**
     * A failure's text without credentials: a driver's or Flyway's message may quote the JDBC URL, and an operator
     * may have put the password in it ({@code ?password=...}).
     */
    static String redacted(String message) {
        return message == null ? "(no message)"
                : message.replaceAll("(?i)(password=)[^;&\\s)'\"]*", "$1***");
    }

    /**
     * Builds the index once the model is ready, then follows the other replicas' writes. Only the first failure of
     * a run of them is a warning, so a database that stays away does not fill the log once a second.
     */
    private void syncTick() {
        try {
            Optional<ModelIdentity> model = currentModel();
            if (model.isEmpty()) {
                // No index to follow yet; the poll still tells readiness whether the database answers.
                requireStore().latestChangeSeq();
                databaseAnswered();
                return;
            }
            IndexSync s = syncOf(model.get());
            IndexSync.PollResult polled = s.poll();
            if (polled.reloadedAll()) {
                LOG.info(String.format("Profile index reloaded whole: changes it had not applied were pruned from "
                        + "the change log; %d enrolled profiles, through change %d", s.index().size(),
                        polled.lastSeq()));
            } else if (polled.changes() > 0) {
                LOG.fine(() -> String.format("Profile index: %d changes applied (%d profiles reloaded), through seq "
                        + "%d", polled.changes(), polled.profilesReloaded(), polled.lastSeq()));
            }
            countStates(model.get(), polled.lastSeq());
            s.pruneIfDue().filter(n -> n > 0).ifPresent(n -> LOG.info("Profile change log: " + n
                    + " changes older than " + IndexSync.CHANGE_RETENTION.toDays() + " days pruned"));
            databaseAnswered();
        } catch (ProfileStoreUnavailableException e) {
            lostReason = "the profile database cannot be used: " + redacted(e.getMessage());
            logSyncFailure(e);
        } catch (RuntimeException e) {
            logSyncFailure(e);
        }
    }

    /**
     * Counts the profiles by state again when the change log has moved since the last count (any replica's write)
     * or the model changed: the count scans every profile, so it is not taken at each scrape. The seq is the one the
     * index has applied, read before the count, so a write committed in between is counted again at the next tick.
     * A failure keeps the last count (the caller logs it; readiness reports a lost database).
     */
    private void countStates(ModelIdentity model, long seq) {
        StateCount last = stateCount;
        if (last != null && last.seq() == seq && last.model().equals(model)) {
            return;
        }
        stateCount = new StateCount(seq, model, requireStore().countProfilesByState(model,
                policy().minSpeechSeconds()));
    }

    private record StateCount(long seq, ModelIdentity model, ProfileStateCounts counts) {
    }

    private void databaseAnswered() {
        lostReason = null;
        if (syncFailing) {
            syncFailing = false;
            LOG.info("Profile index in step with the profile database again");
        }
    }

    private void logSyncFailure(RuntimeException e) {
        // Store messages name the operation, never a stored value; the cause chain may hold a driver's text.
        String message = "Could not bring the profile index up to date with the profile database (trying again "
                + "every " + config.profileSyncInterval().toMillis() + " ms, PROFILE_SYNC_INTERVAL_MS): "
                + redacted(e.getMessage());
        LOG.log(syncFailing ? Level.FINE : Level.WARNING, message);
        syncFailing = true;
    }

    /** The store, once the schema is migrated. */
    public Optional<ProfileStore> store() {
        return Optional.ofNullable(store);
    }

    /**
     * Whether the profile database answers: the store is set up and the last poll of it did not find it gone. A
     * database lost mid-run is seen here within one {@code PROFILE_SYNC_INTERVAL_MS} plus one failed poll (which the
     * dataSource's connection and socket timeouts bound), and so is its return.
     */
    public boolean storeAvailable() {
        return store != null && lostReason == null;
    }

    /** Why {@link #storeAvailable()} is false. */
    public String unavailableReason() {
        String reason = unavailableReason;
        if (reason == null) {
            reason = lostReason;
        }
        return reason == null ? "the profile store is available" : reason;
    }

    public EnrollmentPolicy policy() {
        return new EnrollmentPolicy(config.enrollmentMinSpeechSeconds(),
                EnrollmentPolicy.DEFAULT_MIN_SPEECH_SECONDS_PER_ENROLLMENT);
    }

    /** The identity of the model being served, if one is. */
    public Optional<ModelIdentity> currentModel() {
        return models.manager().flatMap(ModelManager::serving)
                .map(s -> identity(config.modelId(), s.status().commit(), s.embedder().model()));
    }

    /** What makes the service's stored vectors: the raw (normalize=false) float32 output of the served model. */
    public static ModelIdentity identity(String repoId, String commit, int dimension) {
        return ModelIdentity.speechbrainEcapa(repoId, commit, dimension, ModelIdentity.Normalization.RAW);
    }

    /**
     * The identity of {@code model}'s vectors: speechbrain's as it always was (precision fp32, or int8 for a
     * MODEL_PRECISION=int8 conversion); for a model served from an ONNX file, its family and the file's sha256 too.
     */
    public static ModelIdentity identity(String repoId, String commit, SpeakerModel model) {
        return model.identityFileSha256()
                .map(sha -> ModelIdentity.onnxFile(model.family(), repoId, commit, model.dimension(), sha))
                .orElseGet(() -> ModelIdentity.speechbrainEcapa(repoId, commit, model.dimension(),
                        ModelIdentity.Normalization.RAW, model.precision() == ModelPrecision.INT8
                                ? ModelIdentity.INT8 : ModelIdentity.FP32));
    }

    /**
     * The index of {@code model}'s enrolled profiles, loaded from the store the first time it is asked for (and
     * again when the served model changes).
     *
     * @throws IllegalStateException when the store is not available
     */
    public ProfileIndex<ProfileId> index(ModelIdentity model) {
        return syncOf(model).index();
    }

    /** The loaded index of {@code model} and what keeps it in step, loading it first when needed. */
    private IndexSync syncOf(ModelIdentity model) {
        IndexSync current = sync;
        if (current != null && current.model().equals(model)) {
            return current;
        }
        synchronized (indexLock) {
            current = sync;
            if (current != null && current.model().equals(model)) {
                return current;
            }
            IndexSync built = new IndexSync(requireStore(), model, policy(), Clock.systemUTC(),
                    () -> new ProfileIndex<>(model.dimension(), scanHelpers, SCAN_PARTS));
            long started = System.nanoTime();
            int profiles = built.loadAll();
            sync = built;
            LOG.info(String.format("Profile index loaded: %d enrolled of %d profiles with enrollments of the serving "
                    + "model, %.0f ms", built.index().size(), profiles, (System.nanoTime() - started) / 1e6));
            return built;
        }
    }

    /**
     * The serving model's profiles by state, as last counted by the index poller (within about one
     * {@code PROFILE_SYNC_INTERVAL_MS} of a write); empty until the first count. Never touches the database.
     */
    public Optional<ProfileStateCounts> stateCounts() {
        StateCount last = stateCount;
        return last == null ? Optional.empty() : Optional.of(last.counts());
    }

    /** After a write to {@code id}: its row in the loaded index follows what the store now holds. */
    public void refresh(ProfileId id) {
        IndexSync current = sync;
        if (current != null) {
            current.refresh(id);
        }
    }

    private ProfileStore requireStore() {
        ProfileStore s = store;
        if (s == null) {
            throw new IllegalStateException(unavailableReason());
        }
        return s;
    }

    @PreDestroy
    void stop() {
        if (worker != null) {
            worker.shutdownNow();
        }
        if (scanHelpers != null) {
            scanHelpers.shutdownNow();
        }
    }
}
