package dev.speakerembedding.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubSettingsTest {
    @Test
    void sixArgumentConstructorUsesDefaultRetryDelays() {
        HubSettings settings = new HubSettings(URI.create("https://huggingface.co"), null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 2, Duration.ofSeconds(5));

        assertEquals(HubSettings.DEFAULT_RETRY_BASE_DELAY, settings.retryBaseDelay());
        assertEquals(HubSettings.DEFAULT_RETRY_MAX_DELAY, settings.retryMaxDelay());
        assertFalse(settings.token().isPresent(), "null token means none");
    }

    @Test
    void endpointMustBeAPlainHttpUrl() {
        assertThrows(IllegalArgumentException.class, () -> HubSettings.defaults().withEndpoint(URI.create("ftp://x")));
        assertThrows(IllegalArgumentException.class, () -> HubSettings.defaults().withEndpoint(URI.create("/relative")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubSettings.defaults().withEndpoint(URI.create("https://user:hf_secret@host")));
        assertFalse(e.getMessage().contains("hf_secret"), e.getMessage());
    }

    @Test
    void backoffGrowsWithJitterAndIsCapped() {
        HubClient client = new HubClient(HubSettings.defaults().withRetries(5, Duration.ofMillis(100), Duration.ofMillis(500)));

        for (int i = 0; i < 50; i++) {
            long first = client.backoff(0, null).toMillis();
            long third = client.backoff(2, null).toMillis();
            long tenth = client.backoff(9, null).toMillis();
            assertTrue(first >= 50 && first <= 100, "first: " + first);
            assertTrue(third >= 200 && third <= 400, "third: " + third);
            assertTrue(tenth >= 250 && tenth <= 500, "capped: " + tenth);
        }
        assertEquals(Duration.ofMillis(500), client.backoff(0, Duration.ofSeconds(30)), "Retry-After capped");
        assertEquals(Duration.ofMillis(300), client.backoff(3, Duration.ofMillis(300)), "Retry-After as asked");
    }
}
