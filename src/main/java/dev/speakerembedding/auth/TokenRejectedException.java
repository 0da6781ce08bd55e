package dev.speakerembedding.auth;

/**
 * A bearer token that was not accepted. The message says why in a few words (expired, another issuer, signature not
 * verified...) and never holds the token or any part of it: it may be shown to the client and logged.
 */
public class TokenRejectedException extends Exception {

    public TokenRejectedException(String reason) {
        super(reason);
    }
}
