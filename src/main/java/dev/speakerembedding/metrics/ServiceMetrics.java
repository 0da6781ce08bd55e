package dev.speakerembedding.metrics;

import dev.speakerembedding.inference.AdmissionGate;
import dev.speakerembedding.inference.UploadBudget;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * The application's metrics in MicroProfile Metrics' application registry, exported at /metrics (README "Metrics and
 * per-request timings" lists each). The only class that registers request and admission metrics; the core never
 * sees it, the edge hands it times and events. Histogram buckets come from META-INF/microprofile-config.properties.
 */
@ApplicationScoped
public class ServiceMetrics {

    public static final String REQUESTS = "speaker_embedding_requests_total";
    public static final String REQUEST_DURATION = "speaker_embedding_request_duration_seconds";
    public static final String STAGE_DURATION = "speaker_embedding_stage_duration_seconds";
    public static final String REFUSALS = "speaker_embedding_admission_refusals_total";
    public static final String IDENTIFY_SEARCH_DURATION = "speaker_embedding_identify_search_duration_seconds";

    @Inject
    MetricRegistry registry;

    /** A request's counter and timer, looked up once per operation and status code. */
    private record RequestMetrics(Counter count, Timer duration) {
    }

    /*
     * Handles are cached: the registry's lookup by name and tags (metadata built, tag names validated against every
     * registered metric) cost more per request than the features of a 3 s clip (JFR of the HTTP benchmark). The
     * registry hands out the same instance for the same name and tags, so a cached handle is the registered metric.
     */
    private final Map<String, RequestMetrics> requestMetrics = new ConcurrentHashMap<>();
    private final Map<Stage, Timer> stageTimers = new ConcurrentHashMap<>();
    private volatile Timer identifySearchTimer;

    /** Counts one answered request and its time in the application. */
    public void request(String operation, int status, long nanos) {
        RequestMetrics metrics = requestMetrics.computeIfAbsent(operation + ' ' + status, key -> {
            Tag[] tags = {new Tag("operation", operation), new Tag("code", Integer.toString(status))};
            return new RequestMetrics(registry.counter(metadata(REQUESTS, "Requests answered, by operation "
                    + "(OpenAPI operationId, or other) and HTTP status code", MetricUnits.NONE), tags),
                    registry.timer(metadata(REQUEST_DURATION, "Time from a request's arrival in the application to "
                            + "its answer, by operation and HTTP status code", MetricUnits.SECONDS), tags));
        });
        metrics.count().inc();
        metrics.duration().update(Duration.ofNanos(nanos));
    }

    /** One stage of one file (decode, resample, features, inference) or of one request (upload, queue). */
    public void stage(Stage stage, long nanos) {
        stageTimers.computeIfAbsent(stage, s -> registry.timer(metadata(STAGE_DURATION, "Time of each stage of a "
                + "request that runs the model: upload and queue per request, decode, resample, features and "
                + "inference per file", MetricUnits.SECONDS), new Tag("stage", s.label())))
                .update(Duration.ofNanos(Math.max(0, nanos)));
    }

    public void refused(Refusal reason) {
        refusals(reason).inc();
    }

    private Counter refusals(Refusal reason) {
        return registry.counter(metadata(REFUSALS, "Requests refused with 503 before running the model, by reason",
                MetricUnits.NONE), new Tag("reason", reason.label()));
    }

    /** One search of the profile index by POST /v1/identify. */
    public void identifySearch(long nanos) {
        Timer timer = identifySearchTimer;
        if (timer == null) {
            timer = registry.timer(metadata(IDENTIFY_SEARCH_DURATION, "Time of one search of the in-memory profile "
                    + "index by POST /v1/identify", MetricUnits.SECONDS));
            identifySearchTimer = timer;
        }
        timer.update(Duration.ofNanos(Math.max(0, nanos)));
    }

    /** The gauges of the admission gate and the upload budget, which live as long as the application. */
    public void admission(AdmissionGate gate, UploadBudget uploads) {
        for (Refusal reason : Refusal.values()) {
            refusals(reason);
        }
        gauge("speaker_embedding_admission_places_taken", "Requests admitted and not finished: running or waiting "
                + "for an inference slot", MetricUnits.NONE, gate::admitted);
        gauge("speaker_embedding_admission_queue_length", "Admitted requests waiting for an inference slot",
                MetricUnits.NONE, gate::waiting);
        gauge("speaker_embedding_inference_slots_busy", "Inference slots held (at most MAX_CONCURRENT_INFERENCES)",
                MetricUnits.NONE, gate::running);
        gauge("speaker_embedding_admission_places", "Places in the admission gate: MAX_CONCURRENT_INFERENCES + "
                + "MAX_QUEUED_REQUESTS", MetricUnits.NONE, () -> gate.settings().capacity());
        gauge("speaker_embedding_upload_buffered_bytes", "Bytes of request bodies held in memory now (reserved in "
                + "steps of 256 KiB as they arrive)", MetricUnits.BYTES, uploads::reservedBytes);
        gauge("speaker_embedding_upload_buffer_capacity_bytes", "MAX_BUFFERED_UPLOAD_BYTES", MetricUnits.BYTES,
                uploads::capacityBytes);
    }

    void gauge(String name, String description, String unit, Supplier<? extends Number> value, Tag... tags) {
        registry.gauge(metadata(name, description, unit), value::get, tags);
    }

    static Metadata metadata(String name, String description, String unit) {
        return Metadata.builder().withName(name).withDescription(description).withUnit(unit).build();
    }
}
