package dev.speakerembedding.hub;

/**
 * A credential (the Hugging Face token) that must never reach a log line, a message or a toString():
 * only {@link #reveal()} gives the value, and only the HTTP layer calls it.
 */
public final class Secret {
    private static final Secret NONE = new Secret(null);

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /**
     * Wraps a token; null or blank means no token (as an unset or empty {@code HF_TOKEN}).
     *
     * @throws IllegalArgumentException if the token holds characters an HTTP header cannot carry (the
     *     message does not repeat the token)
     */
    public static Secret of(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        String token = value.strip();
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException(
                        "The token holds a character that cannot be sent in an HTTP header (at position " + i + ")");
            }
        }
        return new Secret(token);
    }

    public static Secret none() {
        return NONE;
    }

    public boolean isPresent() {
        return value != null;
    }

    /** The token itself; for the Authorization header only. */
    String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return value == null ? "(none)" : "***";
    }
}
