package dev.speakerembedding.embedding;

/**
 * What to do to the raw speechbrain embedding before it is returned.
 *
 * @param normalize  speechbrain's {@code encode_batch(..., normalize=True)}: subtract the global mean stored in
 *                   {@code mean_var_norm_emb.ckpt}
 * @param unitLength scale the result to L2 norm 1 (after {@code normalize} when both are set)
 */
public record EmbeddingOptions(boolean normalize, boolean unitLength) {

    public static final EmbeddingOptions RAW = new EmbeddingOptions(false, false);
}
