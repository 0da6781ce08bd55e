package dev.speakerembedding.profiles;

/** An enrollment whose audio holds too little speech to be stored (silence, a click, a word). */
public final class InsufficientSpeechException extends Exception {

    private static final long serialVersionUID = 1L;

    private final double speechSeconds;
    private final double requiredSpeechSeconds;

    InsufficientSpeechException(double speechSeconds, double requiredSpeechSeconds) {
        super(String.format(java.util.Locale.ROOT, "the audio holds %.2f s of speech, an enrollment needs at least %.2f s",
                speechSeconds, requiredSpeechSeconds));
        this.speechSeconds = speechSeconds;
        this.requiredSpeechSeconds = requiredSpeechSeconds;
    }

    public double speechSeconds() {
        return speechSeconds;
    }

    public double requiredSpeechSeconds() {
        return requiredSpeechSeconds;
    }
}
