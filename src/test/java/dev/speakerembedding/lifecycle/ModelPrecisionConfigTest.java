package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.config.ServiceConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad MODEL_PRECISION stops the start as a configuration error (like a bad MODEL_FAMILY), before any load. */
class ModelPrecisionConfigTest {

    @Test
    void anUnknownPrecisionIsAConfigurationErrorAtStart(@TempDir Path cache) {
        ServiceConfig config = ServiceConfig.fromLookup(Map.of("MODEL_PRECISION", "fp16", "HF_HUB_OFFLINE", "1",
                "MODEL_CACHE_DIR", cache.toString())::get);
        // ModelLifecycle turns this exception into "Invalid configuration: ..." (status FAILED, no manager).
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Components.modelManager(config));
        assertTrue(e.getMessage().startsWith("MODEL_PRECISION: 'fp16' is not a model precision; expected one of "
                + "float32, int8"), e.getMessage());
    }
}
