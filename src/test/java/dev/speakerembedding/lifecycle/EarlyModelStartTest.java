package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.hub.DownloadListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EarlyModelStartTest {

    /** Counts what the metrics bean would count. */
    private static final class Counting implements DownloadListener {
        long bytes;
        final List<String> retries = new ArrayList<>();

        @Override
        public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
        }

        @Override
        public void bytesReceived(long count) {
            bytes += count;
        }

        @Override
        public void retrying(String what, Duration delay) {
            retries.add(what);
        }
    }

    @Test
    void bytesAndRetriesBeforeTheBeansExistAreHandedToThemThenForwarded() {
        EarlyModelStart.DeferredDownloadListener deferred = new EarlyModelStart.DeferredDownloadListener();
        deferred.bytesReceived(1000);
        deferred.bytesReceived(24);
        deferred.retrying("GET embedding_model.ckpt", Duration.ofSeconds(1));
        Counting counting = new Counting();
        deferred.attach(counting);
        assertEquals(1024, counting.bytes);
        assertEquals(List.of("GET embedding_model.ckpt"), counting.retries);
        deferred.bytesReceived(76);
        deferred.retrying("HEAD hyperparams.yaml", Duration.ofSeconds(2));
        assertEquals(1100, counting.bytes);
        assertEquals(List.of("GET embedding_model.ckpt", "HEAD hyperparams.yaml"), counting.retries);
    }

    @Test
    void stateChangesGoToTheObserverOnlyOnceAttached() {
        EarlyModelStart.DeferredStateObserver states = new EarlyModelStart.DeferredStateObserver();
        LifecycleStatus status = new LifecycleStatus(LifecycleState.CHECKING_CACHE, null, null, null, null, null, 1);
        states.accept(status);
        List<LifecycleStatus> seen = new ArrayList<>();
        states.attach(seen::add);
        states.accept(status);
        assertEquals(List.of(status), seen);
    }

    @Test
    void theEarlyManagerIsAdoptedOnlyWithTheSameModelSettings() {
        Map<String, String> env = Map.of("MODEL_CACHE_DIR", "/tmp/cache-a", "EMBEDDING_MODEL", "org/model",
                "HF_HUB_OFFLINE", "1", "VERIFY_THRESHOLD", "0.5");
        ServiceConfig a = ServiceConfig.fromLookup(env::get);
        assertTrue(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(env::get)));
        // a setting the manager does not read changes nothing
        assertTrue(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(name ->
                name.equals("VERIFY_THRESHOLD") ? "0.7" : env.get(name))));
        assertFalse(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(name ->
                name.equals("MODEL_CACHE_DIR") ? "/tmp/cache-b" : env.get(name))));
        assertFalse(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(name ->
                name.equals("HF_HUB_OFFLINE") ? "0" : env.get(name))));
        for (String setting : new String[] {"MODEL_PRECISION", "ONNX_INTRA_OP_THREADS", "MAX_CONCURRENT_INFERENCES"}) {
            String value = setting.equals("MODEL_PRECISION") ? "int8" : "3";
            assertFalse(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(name ->
                    name.equals(setting) ? value : env.get(name))), setting + " decides how the model loads");
        }
        // an invalid endpoint is not adopted: ModelLifecycle's own manager reports it
        assertFalse(ModelLifecycle.sameModelSettings(a, ServiceConfig.fromLookup(name ->
                name.equals("HF_ENDPOINT") ? "not a url" : env.get(name))));
    }
}
