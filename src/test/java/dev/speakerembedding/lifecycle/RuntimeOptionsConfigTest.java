package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.model.ModelRuntimeOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ONNX_INTRA_OP_THREADS and MAX_CONCURRENT_INFERENCES: automatic values adapt, a number overrides. */
class RuntimeOptionsConfigTest {

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    private static ModelRuntimeOptions options(Map<String, String> env) {
        return Components.runtimeOptions(ServiceConfig.fromLookup(env::get));
    }

    @Test
    void automaticThreadsGiveALoneRequestEveryCoreAndConcurrentOnesOneEach() {
        ModelRuntimeOptions automatic = options(Map.of());
        assertEquals(CORES, automatic.intraOpThreads(), "a lone request: every core the JVM may use");
        assertEquals(ModelRuntimeOptions.forService(CORES, CORES).threadVariants(), automatic.threadVariants());
        assertEquals(1, automatic.threadVariants().get(automatic.threadVariants().size() - 1),
                "MAX_CONCURRENT_INFERENCES defaults to the cores: one thread each when all run");
    }

    @Test
    void maxConcurrentInferencesSetsTheFewestThreadsARunGets() {
        ModelRuntimeOptions one = options(Map.of("MAX_CONCURRENT_INFERENCES", "1"));
        assertEquals(List.of(CORES), one.threadVariants(), "one at a time: one session on every core");
        assertFalse(one.adaptive());
    }

    @Test
    void aConfiguredThreadCountIsFixedWhateverTheConcurrency() {
        ModelRuntimeOptions fixed = options(Map.of("ONNX_INTRA_OP_THREADS", "3", "MAX_CONCURRENT_INFERENCES", "8"));
        assertEquals(List.of(3), fixed.threadVariants());
        assertFalse(fixed.adaptive());
    }
}
