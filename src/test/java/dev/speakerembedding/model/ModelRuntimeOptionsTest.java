package dev.speakerembedding.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelRuntimeOptionsTest {

    @Test
    void theServiceGivesALoneRunEveryProcessorAndOverlappingRunsTheirShare() {
        ModelRuntimeOptions two = ModelRuntimeOptions.forService(2, 2);
        assertEquals(2, two.intraOpThreads());
        assertEquals(List.of(2, 1), two.threadVariants());
        assertTrue(two.adaptive());
        assertEquals(List.of(2), ModelRuntimeOptions.forService(2, 1).threadVariants(), "one at a time: one session");
        assertFalse(ModelRuntimeOptions.forService(2, 1).adaptive());
        assertEquals(List.of(8, 4, 2), ModelRuntimeOptions.forService(8, 3).threadVariants(),
                "never fewer than the cores divided among the runs allowed at once");
        assertEquals(List.of(1), ModelRuntimeOptions.forService(1, 4).threadVariants(), "at least one");
        assertEquals(List.of(16, 8, 4, 1), ModelRuntimeOptions.forService(16, 16).threadVariants(),
                "at most four sessions, the last the fewest");
        assertEquals(List.of(6, 3, 1), ModelRuntimeOptions.forService(6, 6).threadVariants());
        assertEquals(1, ModelRuntimeOptions.forService(16, 16).interOpThreads());
        assertThrows(IllegalArgumentException.class, () -> ModelRuntimeOptions.forService(0, 1));
    }

    @Test
    void aRunTakesTheWidestVariantWithinItsShareOfTheCores() {
        List<Integer> two = List.of(2, 1);
        assertEquals(0, ModelRuntimeOptions.variantFor(two, 1), "alone: both cores");
        assertEquals(1, ModelRuntimeOptions.variantFor(two, 2));
        assertEquals(1, ModelRuntimeOptions.variantFor(two, 9));
        List<Integer> sixteen = List.of(16, 8, 4, 1);
        assertEquals(0, ModelRuntimeOptions.variantFor(sixteen, 1));
        assertEquals(1, ModelRuntimeOptions.variantFor(sixteen, 2));
        assertEquals(2, ModelRuntimeOptions.variantFor(sixteen, 3), "16 / 3 = 5: the 4-thread session");
        assertEquals(2, ModelRuntimeOptions.variantFor(sixteen, 4));
        assertEquals(3, ModelRuntimeOptions.variantFor(sixteen, 5));
        List<Integer> floor = List.of(8, 4, 2);
        assertEquals(2, ModelRuntimeOptions.variantFor(floor, 8), "never below the fewest");
        assertEquals(0, ModelRuntimeOptions.variantFor(List.of(0), 5), "one session: always it");
    }

    @Test
    void aFixedCountIsOneSessionAndOverridesAdaptation() {
        ModelRuntimeOptions fixed = ModelRuntimeOptions.forService(4, 4).withIntraOpThreads(3);
        assertEquals(List.of(3), fixed.threadVariants());
        assertFalse(fixed.adaptive());
        assertEquals(List.of(0), ModelRuntimeOptions.defaults().withIntraOpThreads(0).threadVariants(),
                "0: ONNX Runtime chooses");
        assertEquals("intra-op adaptive [2, 1]", ModelRuntimeOptions.forService(2, 2).describeThreads());
        assertThrows(IllegalArgumentException.class, () -> new ModelRuntimeOptions(2, 1,
                ModelRuntimeOptions.OptimizationLevel.ALL, true, 3));
        assertThrows(IllegalArgumentException.class, () -> new ModelRuntimeOptions(0, 1,
                ModelRuntimeOptions.OptimizationLevel.ALL, true, 1));
    }
}
