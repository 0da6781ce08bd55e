package dev.speakerembedding.model;

/**
 * A model file that cannot be used: unreadable, not the expected format, or not matching the architecture its
 * hyperparameters describe. The message names the file and the key, shape or byte offset that failed.
 */
public class ModelFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
