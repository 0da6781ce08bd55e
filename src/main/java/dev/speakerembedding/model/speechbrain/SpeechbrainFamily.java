package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.ModelFormat;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.ModelLoadSettings;
import dev.speakerembedding.model.SourceFile;
import dev.speakerembedding.model.SpeakerModel;
import java.nio.file.Path;
import java.util.List;

/** speechbrain ECAPA-TDNN repositories: the checkpoint converted to ONNX once and cached by its sha256. */
public final class SpeechbrainFamily implements ModelFamily {

    public static final SpeechbrainFamily INSTANCE = new SpeechbrainFamily();

    private SpeechbrainFamily() {
    }

    @Override
    public ModelFormat format() {
        return SpeechbrainEcapa.FORMAT;
    }

    @Override
    public SpeakerModel load(Path snapshotDir, List<SourceFile> sourceFiles, ModelLoadSettings settings)
            throws ModelFormatException {
        return new SpeechbrainModel(EcapaModel.load(snapshotDir, settings.convertedModelDir(), settings.runtime(),
                sourceFiles, settings.precision()));
    }
}
