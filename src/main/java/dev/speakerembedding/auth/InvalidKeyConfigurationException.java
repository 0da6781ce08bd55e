package dev.speakerembedding.auth;

/** JWT authorization is configured but cannot verify anything: says which setting is wrong and how (never a key). */
public class InvalidKeyConfigurationException extends Exception {

    public InvalidKeyConfigurationException(String message) {
        super(message);
    }
}
