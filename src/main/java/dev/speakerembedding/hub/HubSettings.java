package dev.speakerembedding.hub;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How to reach the Hub.
 *
 * @param endpoint the Hub (or mirror) base URL, as {@code HF_ENDPOINT}; a trailing slash is dropped
 * @param token sent as {@code Authorization: Bearer} to the endpoint's scheme+host+port only; null means none
 * @param connectTimeout TCP/TLS connect timeout
 * @param readTimeout longest wait for response headers or for the next piece of a body
 * @param maxRetries retries after the first attempt for connect errors, timeouts, 429 and 5xx, and for
 *     downloads that fail verification
 * @param progressInterval shortest interval between two progress reports of one file
 * @param retryBaseDelay first backoff delay; doubled on each retry, with jitter
 * @param retryMaxDelay cap of a backoff delay and of a {@code Retry-After} the Hub asks for
 */
public record HubSettings(
        URI endpoint,
        Secret token,
        Duration connectTimeout,
        Duration readTimeout,
        int maxRetries,
        Duration progressInterval,
        Duration retryBaseDelay,
        Duration retryMaxDelay) {

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_RETRIES = 5;
    public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RETRY_BASE_DELAY = Duration.ofSeconds(1);
    public static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.ofSeconds(60);

    public HubSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        endpoint = normalizeEndpoint(endpoint);
        token = token == null ? Secret.none() : token;
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(readTimeout, "readTimeout");
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
        }
        requireNotNegative(progressInterval, "progressInterval");
        requireNotNegative(retryBaseDelay, "retryBaseDelay");
        requireNotNegative(retryMaxDelay, "retryMaxDelay");
    }

    /** The six settings the service configures, with the default retry delays. */
    public HubSettings(URI endpoint, Secret token, Duration connectTimeout, Duration readTimeout, int maxRetries,
            Duration progressInterval) {
        this(endpoint, token, connectTimeout, readTimeout, maxRetries, progressInterval,
                DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY);
    }

    /** huggingface.co, no token, default timeouts and retries. */
    public static HubSettings defaults() {
        return new HubSettings(DEFAULT_ENDPOINT, Secret.none(), DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT,
                DEFAULT_MAX_RETRIES, DEFAULT_PROGRESS_INTERVAL);
    }

    public HubSettings withEndpoint(URI newEndpoint) {
        return new HubSettings(newEndpoint, token, connectTimeout, readTimeout, maxRetries, progressInterval,
                retryBaseDelay, retryMaxDelay);
    }

    public HubSettings withToken(Secret newToken) {
        return new HubSettings(endpoint, newToken, connectTimeout, readTimeout, maxRetries, progressInterval,
                retryBaseDelay, retryMaxDelay);
    }

    public HubSettings withRetries(int newMaxRetries, Duration newBaseDelay, Duration newMaxDelay) {
        return new HubSettings(endpoint, token, connectTimeout, readTimeout, newMaxRetries, progressInterval,
                newBaseDelay, newMaxDelay);
    }

    private static URI normalizeEndpoint(URI endpoint) {
        String scheme = endpoint.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http"))
                || endpoint.getHost() == null) {
            throw new IllegalArgumentException("The Hub endpoint must be an absolute http(s) URL, got " + endpoint);
        }
        if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null || endpoint.getRawUserInfo() != null) {
            throw new IllegalArgumentException(
                    "The Hub endpoint must not carry user info, a query or a fragment: " + endpoint.getHost());
        }
        String text = endpoint.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    private static void requireNotNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }
}
