package dev.speakerembedding.profiles.store;

import java.util.List;

/**
 * An answer to "what changed after seq N".
 *
 * @param changes       the changes after N, oldest first, at most the limit asked for
 * @param latestSeq     the log's last seq when read (N when nothing changed): poll after the last change returned,
 *                      or after this when {@code changes} is empty
 * @param reloadNeeded  true when changes after N were already pruned from the log: the caller missed some and must
 *                      reload everything (recording {@link ProfileStore#latestChangeSeq()} first)
 */
public record ProfileChanges(List<ProfileChange> changes, long latestSeq, boolean reloadNeeded) {

    public ProfileChanges {
        changes = List.copyOf(changes);
    }

    /** The seq to ask after next time. */
    public long nextAfterSeq(long askedAfterSeq) {
        return changes.isEmpty() ? Math.max(askedAfterSeq, latestSeq) : changes.get(changes.size() - 1).seq();
    }
}
