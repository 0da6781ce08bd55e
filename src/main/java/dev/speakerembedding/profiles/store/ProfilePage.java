package dev.speakerembedding.profiles.store;

import java.util.List;
import java.util.Optional;

/**
 * One page of profiles in creation order (ties by id).
 *
 * @param profiles at most the limit asked for
 * @param next     where the next page starts, or null when this page is the last
 */
public record ProfilePage(List<Profile> profiles, PageCursor next) {

    public ProfilePage {
        profiles = List.copyOf(profiles);
    }

    public Optional<PageCursor> nextCursor() {
        return Optional.ofNullable(next);
    }
}
