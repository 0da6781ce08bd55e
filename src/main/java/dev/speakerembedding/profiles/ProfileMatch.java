package dev.speakerembedding.profiles;

/**
 * One profile found by {@link ProfileIndex#search}.
 *
 * @param id    the profile's id
 * @param score cosine of the probe and the profile vector, computed as {@link ProfileScoring#verify} computes it
 */
public record ProfileMatch<K>(K id, double score) {
}
