package dev.speakerembedding.profiles.store;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One page of profiles in creation order (ties by id), with their enrollments read by the same transaction (one
 * query for the page, not one per profile).
 *
 * @param profiles    at most the limit asked for
 * @param enrollments each listed profile's enrollments, oldest first (an entry for every profile, empty when none)
 * @param next        where the next page starts, or null when this page is the last
 */
public record ProfilePage(List<Profile> profiles, Map<ProfileId, List<Enrollment>> enrollments, PageCursor next) {

    public ProfilePage {
        profiles = List.copyOf(profiles);
        Map<ProfileId, List<Enrollment>> complete = new HashMap<>();
        for (Profile p : profiles) {
            complete.put(p.id(), List.copyOf(enrollments.getOrDefault(p.id(), List.of())));
        }
        enrollments = Map.copyOf(complete);
    }

    /** The enrollments of a profile on this page, oldest first. */
    public List<Enrollment> enrollmentsOf(ProfileId id) {
        List<Enrollment> listed = enrollments.get(id);
        if (listed == null) {
            throw new IllegalArgumentException("profile " + id + " is not on this page");
        }
        return listed;
    }

    public Optional<PageCursor> nextCursor() {
        return Optional.ofNullable(next);
    }
}
