package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormat;
import java.util.List;

/**
 * speechbrain's ECAPA-TDNN speaker recognition repositories (e.g. speechbrain/spkrec-ecapa-voxceleb): the one place
 * that names their files.
 */
public final class SpeechbrainEcapa {

    public static final String HYPERPARAMS_FILE = "hyperparams.yaml";
    public static final String CHECKPOINT_FILE = "embedding_model.ckpt";
    public static final String NORMALIZATION_FILE = "mean_var_norm_emb.ckpt";
    /**
     * The speaker classifier and its labels are not needed to embed; they are fetched because speechbrain's own
     * loader of these repositories (the pretrainer in hyperparams.yaml) requires them, so the cache serves it too.
     */
    public static final String CLASSIFIER_FILE = "classifier.ckpt";
    public static final String LABEL_ENCODER_FILE = "label_encoder.txt";

    public static final ModelFormat FORMAT = new ModelFormat("speechbrain-ecapa",
            List.of(HYPERPARAMS_FILE, CHECKPOINT_FILE, NORMALIZATION_FILE, CLASSIFIER_FILE, LABEL_ENCODER_FILE),
            List.of());

    private SpeechbrainEcapa() {
    }
}
