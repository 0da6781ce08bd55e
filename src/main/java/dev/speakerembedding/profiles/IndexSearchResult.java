package dev.speakerembedding.profiles;

import java.util.List;

/**
 * The best matches of one search.
 *
 * @param matches         at most {@code top} matches, best first; equal scores in ascending id order
 * @param profilesScored  how many profiles were scored (all of them, or the candidates found in the index)
 */
public record IndexSearchResult<K>(List<ProfileMatch<K>> matches, int profilesScored) {

    public IndexSearchResult {
        matches = List.copyOf(matches);
    }
}
