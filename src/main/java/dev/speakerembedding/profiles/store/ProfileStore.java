package dev.speakerembedding.profiles.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import dev.speakerembedding.profiles.EnrollmentPolicy;
import dev.speakerembedding.profiles.ModelIdentity;
import dev.speakerembedding.profiles.ProfileStateCounts;

/**
 * Speaker profiles and their enrollments, persistent and shared by every replica. Every method is one
 * transaction: it happens entirely or not at all. Every method may throw {@link ProfileStoreUnavailableException}
 * (the database cannot be reached; try again later) or {@link ProfileStoreFailureException}; the others are
 * listed per method.
 *
 * <p>Stored per enrollment: the unit-length embedding, the identity of the model that made it, the audio's
 * duration and speech duration, and when. No audio. Deleting a profile deletes every row that holds its
 * vectors; the change log keeps only its id and what happened.
 */
public interface ProfileStore {

    /** Most profiles a page holds. */
    int MAX_PAGE_SIZE = 1000;
    /** Most enrollments stored in one call. */
    int MAX_ENROLLMENTS_PER_BATCH = 100;
    /** Most external ids looked up in one call. */
    int MAX_EXTERNAL_ID_LOOKUP = 1000;
    /** Most changes returned by one poll. */
    int MAX_CHANGES_PER_POLL = 10_000;

    /** @throws DuplicateExternalIdException when another profile has its external id */
    Profile createProfile(NewProfile profile);

    Optional<Profile> profile(ProfileId id);

    /** @throws InvalidProfileInputException when the external id could not have been stored */
    Optional<Profile> profileByExternalId(String externalId);

    /**
     * The ids of the profiles with these external ids (those with none are absent from the map).
     *
     * @throws InvalidProfileInputException when more than {@value #MAX_EXTERNAL_ID_LOOKUP} are asked for, or one
     *                                      could not have been stored
     */
    Map<String, ProfileId> profileIdsByExternalIds(Collection<String> externalIds);

    /**
     * Profiles in creation order (ties by id), {@code limit} at a time.
     *
     * @param after where the previous page ended, null for the first page
     * @throws InvalidProfileInputException when {@code limit} is not in 1..{@value #MAX_PAGE_SIZE}
     */
    ProfilePage listProfiles(int limit, PageCursor after);

    /** Deletes the profile and its enrollments; false when it did not exist. */
    boolean deleteProfile(ProfileId id);

    /**
     * Stores a batch of enrollments, all or none.
     *
     * @return the stored enrollments, in the batch's order
     * @throws ProfileNotFoundException     when the profile does not exist (or is deleted while this runs)
     * @throws InvalidProfileInputException when the batch is empty or over {@value #MAX_ENROLLMENTS_PER_BATCH}
     */
    List<Enrollment> addEnrollments(ProfileId id, List<NewEnrollment> batch);

    /**
     * A profile's enrollments, oldest first.
     *
     * @throws ProfileNotFoundException when the profile does not exist
     */
    List<Enrollment> listEnrollments(ProfileId id);

    /**
     * Deletes one enrollment of the profile.
     *
     * @return false when the profile has no such enrollment
     * @throws ProfileNotFoundException when the profile does not exist
     */
    boolean deleteEnrollment(ProfileId id, EnrollmentId enrollmentId);

    /**
     * Deletes all of a profile's enrollments (a reset); the profile stays.
     *
     * @return how many were deleted
     * @throws ProfileNotFoundException when the profile does not exist
     */
    int deleteEnrollments(ProfileId id);

    /**
     * How many profiles have enrollments of {@code model} now: the size of the index a load will build, so that it
     * can reserve its matrix once instead of growing it while loading (a count, not a promise: writes made in
     * between change it).
     */
    int countProfilesWithVectors(ModelIdentity model);

    /**
     * Streams every profile that has enrollments of {@code model}, one profile at a time in id order, to build the
     * index at start. Rows are fetched in batches, so memory holds one batch and one profile, not the table. An
     * exception thrown by {@code consumer} ends the stream and is thrown as it is.
     *
     * @return how many profiles were handed to the consumer
     */
    int forEachProfileVectors(ModelIdentity model, Consumer<ProfileVectors> consumer);

    /**
     * Every profile counted by its state under {@code model}, classified in one aggregate query by the rule of
     * {@link EnrollmentPolicy#status} (same epsilon): enrolled when it has enrollments of {@code model} whose speech
     * reaches {@code minSpeechSeconds}; needs re-enrollment when it has enrollments, none of {@code model}; enrolling
     * otherwise (no enrollment at all included). A scan of both tables: callers keep the result until the change
     * log moves.
     *
     * @throws InvalidProfileInputException when {@code minSpeechSeconds} is negative or not finite
     */
    ProfileStateCounts countProfilesByState(ModelIdentity model, double minSpeechSeconds);

    /**
     * The enrollments not made by {@code model}, among the profiles {@code among} (all profiles when null): what
     * verify and identify leave out. Unknown ids count nothing.
     *
     * @throws InvalidProfileInputException when more than {@value #MAX_EXTERNAL_ID_LOOKUP} ids are given
     */
    OtherModelEnrollments otherModelEnrollments(ModelIdentity model, Collection<ProfileId> among);

    /** One profile's enrollments of {@code model}; empty when it has none or does not exist. */
    Optional<ProfileVectors> loadVectors(ProfileId id, ModelIdentity model);

    /**
     * The seq of the last change: record it before a full load, then poll {@link #changesSince} after it, so no
     * write between the two is missed (a change applied twice does no harm: replaying reloads the profile).
     */
    long latestChangeSeq();

    /**
     * The changes committed after {@code afterSeq}, oldest first.
     *
     * @throws InvalidProfileInputException when {@code limit} is not in 1..{@value #MAX_CHANGES_PER_POLL} or
     *                                      {@code afterSeq} is negative
     */
    ProfileChanges changesSince(long afterSeq, int limit);

    /**
     * Deletes changes older than {@code olderThan}. A replica that later asks for changes after a pruned seq is
     * told to reload ({@link ProfileChanges#reloadNeeded()}).
     *
     * @return how many changes were deleted
     */
    int pruneChanges(Instant olderThan);
}
