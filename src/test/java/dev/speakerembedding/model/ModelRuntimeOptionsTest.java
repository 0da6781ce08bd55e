package dev.speakerembedding.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ModelRuntimeOptionsTest {

    @Test
    void theServiceDividesTheProcessorsAmongConcurrentInferences() {
        assertEquals(1, ModelRuntimeOptions.forService(2, 2).intraOpThreads());
        assertEquals(2, ModelRuntimeOptions.forService(2, 1).intraOpThreads());
        assertEquals(2, ModelRuntimeOptions.forService(8, 3).intraOpThreads(), "never more threads than cores");
        assertEquals(1, ModelRuntimeOptions.forService(1, 4).intraOpThreads(), "at least one");
        assertEquals(1, ModelRuntimeOptions.forService(16, 16).interOpThreads());
        assertThrows(IllegalArgumentException.class, () -> ModelRuntimeOptions.forService(0, 1));
    }
}
