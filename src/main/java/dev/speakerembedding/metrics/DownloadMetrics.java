package dev.speakerembedding.metrics;

import dev.speakerembedding.hub.DownloadListener;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;

/** Counts the model's download traffic: the lifecycle passes this listener to the hub client and the fetcher. */
@ApplicationScoped
public class DownloadMetrics implements DownloadListener {

    public static final String BYTES = "speaker_embedding_model_download_bytes_total";
    public static final String RETRIES = "speaker_embedding_model_download_retries_total";

    @Inject
    MetricRegistry registry;

    private Counter bytes;
    private Counter retries;

    @PostConstruct
    void register() {
        bytes = registry.counter(ServiceMetrics.metadata(BYTES, "Bytes of model files received from the Hub (or "
                + "HF_ENDPOINT's mirror) by this process", MetricUnits.NONE));
        retries = registry.counter(ServiceMetrics.metadata(RETRIES, "Hub requests retried after a network failure, "
                + "429 or 5xx (a HEAD, a file listing, or a download resumed)", MetricUnits.NONE));
    }

    /** Created with the application, so both counters are exported (at 0) before anything is downloaded. */
    void onStart(@Observes Startup event) {
    }

    /** The periodic progress report is for the log (LoggingDownloadListener); the bytes are counted as they arrive. */
    @Override
    public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
    }

    @Override
    public void bytesReceived(long count) {
        bytes.inc(count);
    }

    @Override
    public void retrying(String what, Duration delay) {
        retries.inc();
    }
}
