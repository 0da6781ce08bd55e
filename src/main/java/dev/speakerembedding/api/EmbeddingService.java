package dev.speakerembedding.api;

import dev.speakerembedding.audio.AudioFormatException;
import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.embedding.AudioLimits;
import dev.speakerembedding.embedding.AudioRejectedException;
import dev.speakerembedding.embedding.EmbeddingOptions;
import dev.speakerembedding.embedding.EmbeddingResult;
import dev.speakerembedding.embedding.MeasuredEmbedding;
import dev.speakerembedding.audio.EnergyVoiceActivity;
import dev.speakerembedding.embedding.SpeakerEmbedder;
import dev.speakerembedding.inference.AdmissionGate;
import dev.speakerembedding.inference.SaturatedException;
import dev.speakerembedding.inference.UploadBudget;
import dev.speakerembedding.lifecycle.LifecycleStatus;
import dev.speakerembedding.lifecycle.ModelLifecycle;
import dev.speakerembedding.lifecycle.ModelManager;
import dev.speakerembedding.embedding.StageTimings;
import dev.speakerembedding.metrics.Refusal;
import dev.speakerembedding.metrics.RequestTimings;
import dev.speakerembedding.metrics.ServiceMetrics;
import dev.speakerembedding.metrics.Stage;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * What the resources share between the HTTP edge and the core: the loaded model or a 503 saying why there is
 * none, admission through the inference gate, and audio errors translated into problems.
 */
@ApplicationScoped
public class EmbeddingService {

    private static final Logger LOG = Logger.getLogger(EmbeddingService.class.getName());
    /** Retry-After while the model is loading and no retry time is known. */
    private static final int LOADING_RETRY_AFTER_SECONDS = 5;

    /**
     * The serving model and the commit it was loaded from.
     *
     * @param embedder the pipeline
     * @param commit   the repository commit, as the lifecycle resolved it
     * @param status   the lifecycle status it was read from
     */
    public record LoadedModel(SpeakerEmbedder embedder, String commit, LifecycleStatus status) {
    }

    @Inject
    ModelLifecycle lifecycle;

    @Inject
    ServiceMetrics metrics;

    @Inject
    RequestTimings timings;

    private AdmissionGate gate;
    private UploadBudget uploadBudget;

    @PostConstruct
    void createGate() {
        ServiceConfig config = lifecycle.config();
        gate = new AdmissionGate(new AdmissionGate.Settings(config.maxConcurrentInferences(),
                config.maxQueuedRequests(), config.queueTimeout()));
        uploadBudget = new UploadBudget(config.maxBufferedUploadBytes());
        metrics.admission(gate, uploadBudget);
        LOG.info(String.format("Inference admission: %d at once, %d more admitted, %d ms longest wait for a slot; "
                + "uploads: %d bytes in memory at once, %d ms + 1 s per %d bytes to arrive",
                config.maxConcurrentInferences(), config.maxQueuedRequests(), config.queueTimeout().toMillis(),
                config.maxBufferedUploadBytes(), config.uploadTimeout().toMillis(), config.uploadMinBytesPerSecond()));
    }

    /** Created with the application, so the admission gauges are exported before the first request. */
    void onStart(@Observes Startup event) {
    }

    /** The memory shared by the request bodies being received. */
    public UploadBudget uploadBudget() {
        return uploadBudget;
    }

    public ServiceConfig config() {
        return lifecycle.config();
    }

    /** The loaded model, or 503 model_not_ready with when to retry and why. */
    public LoadedModel readyModel() throws ProblemException {
        ModelManager manager = lifecycle.manager().orElse(null);
        if (manager == null) {
            throw ProblemType.MODEL_NOT_READY.exception("no model is loaded yet: "
                    + lifecycle.configurationError().orElse("the model is still loading") + " (see /v1/status)",
                    LOADING_RETRY_AFTER_SECONDS);
        }
        return readyModel(manager);
    }

    /**
     * The model {@code manager} serves, or 503 model_not_ready. The manager's state is read once: its worker moves
     * on at any moment (out of WAITING_TO_RETRY, say), and two reads could pair a retry time with no retry time.
     */
    static LoadedModel readyModel(ModelManager manager) throws ProblemException {
        var serving = manager.serving();
        if (serving.isPresent()) {
            return new LoadedModel(serving.get().embedder(), serving.get().status().commit(), serving.get().status());
        }
        LifecycleStatus status = manager.status();
        String why = status.lastError() == null ? "the model is still loading" : status.lastError();
        throw ProblemType.MODEL_NOT_READY.exception("no model is loaded yet: " + why + " (see /v1/status)",
                retryAfterSeconds(status, Instant.now()));
    }

    /** Seconds until the next load attempt when one is scheduled, else a short default while loading goes on. */
    static int retryAfterSeconds(LifecycleStatus status, Instant now) {
        Instant next = status.nextRetryAt();
        return next == null ? LOADING_RETRY_AFTER_SECONDS
                : (int) Math.max(1, Duration.between(now, next).toSeconds() + 1);
    }

    /** 503 saturated at once when every place in the admission gate is taken (checked before the body is read). */
    public void checkRoom() throws ProblemException {
        try {
            gate.checkRoom();
        } catch (SaturatedException e) {
            throw saturated(e);
        }
    }

    /** A place in the admission gate, or 503 saturated at once when there is none. */
    AdmissionGate.Ticket admit() throws ProblemException {
        try {
            return gate.admit();
        } catch (SaturatedException e) {
            throw saturated(e);
        }
    }

    /** What is computed for one upload inside an inference slot. */
    @FunctionalInterface
    private interface PerUpload<T> {
        T apply(SpeakerEmbedder embedder, byte[] wav, AudioLimits limits)
                throws AudioFormatException, AudioRejectedException;
    }

    /**
     * Embeds every upload, in order, in one inference slot: a batch (or the two files of a verification) is one
     * unit of work, admitted as a whole (now that its body has arrived) and never interleaved with itself.
     */
    public List<EmbeddingResult> embedAll(RequestAdmission admission, List<AudioUpload> uploads,
                                          EmbeddingOptions options) throws ProblemException {
        var model = admission.model().embedder().model();
        if (options.normalize() && !model.hasEmbeddingNormalization()) {
            throw ProblemType.INVALID_OPTION.exception("normalize=true applies speechbrain's mean_var_norm_emb; the "
                    + model.family() + " model being served has none (leave normalize unset or false)");
        }
        return inOneSlot(admission, uploads, (embedder, wav, limits) -> embedder.embed(wav, options, limits),
                EmbeddingResult::timings);
    }

    /**
     * Computes {@code perUpload} for every upload, in order, in one inference slot; a failing part is named in the
     * problem's detail (unless it is the only, unnamed, upload).
     */
    private <T> List<T> inOneSlot(RequestAdmission admission, List<AudioUpload> uploads, PerUpload<T> perUpload,
                                  Function<T, StageTimings> timingsOf) throws ProblemException {
        ServiceConfig config = config();
        AudioLimits limits = new AudioLimits(config.minAudioSeconds(), config.maxAudioSeconds());
        SpeakerEmbedder embedder = admission.model().embedder();
        long queued = System.nanoTime();
        try (AdmissionGate.Ticket ticket = admit(); AdmissionGate.Slot slot = ticket.awaitSlot()) {
            record(Stage.QUEUE, System.nanoTime() - queued);
            List<T> results = new ArrayList<>(uploads.size());
            for (int i = 0; i < uploads.size(); i++) {
                try {
                    T result = perUpload.apply(embedder, uploads.get(i).bytes(), limits);
                    record(timingsOf.apply(result));
                    results.add(result);
                } catch (AudioFormatException e) {
                    throw labelled(audioProblem(e), i, uploads);
                } catch (AudioRejectedException e) {
                    throw labelled(audioProblem(e), i, uploads);
                }
            }
            return results;
        } catch (SaturatedException e) {
            throw saturated(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProblemType.SATURATED.exception("interrupted while waiting for an inference slot", 1);
        }
    }

    private static ProblemException labelled(ProblemException e, int index, List<AudioUpload> uploads) {
        return uploads.size() == 1 && uploads.get(index).name() == null ? e
                : e.withDetailPrefix(partLabel(index, uploads.get(index)) + ": ");
    }

    /** One file's stages: into the request's Server-Timing and the stage histograms. */
    private void record(StageTimings t) {
        record(Stage.DECODE, t.decodeNanos());
        record(Stage.RESAMPLE, t.resampleNanos());
        record(Stage.FEATURES, t.fbankNanos());
        record(Stage.INFERENCE, t.inferenceNanos());
    }

    private void record(Stage stage, long nanos) {
        timings.add(stage, nanos);
        metrics.stage(stage, nanos);
    }

    private ProblemException saturated(SaturatedException e) {
        metrics.refused(switch (e.reason()) {
            case QUEUE_FULL -> Refusal.QUEUE_FULL;
            case QUEUE_TIMEOUT -> Refusal.QUEUE_TIMEOUT;
        });
        return ProblemType.SATURATED.exception(e.getMessage() + "; retry after " + e.retryAfterSeconds()
                + " s (MAX_CONCURRENT_INFERENCES, MAX_QUEUED_REQUESTS, QUEUE_TIMEOUT_MS)", e.retryAfterSeconds());
    }

    private static String partLabel(int index, AudioUpload upload) {
        return "part " + index + (upload.name() == null ? "" : " ('" + RequestBodies.truncate(upload.name()) + "')");
    }

    /**
     * One WAV file's raw embedding and its speech measurement (a probe of the profile endpoints), admitted through
     * the same gate as {@link #embedAll}.
     */
    public MeasuredEmbedding embedMeasured(RequestAdmission admission, byte[] wav, EnergyVoiceActivity voiceActivity)
            throws ProblemException {
        return embedMeasuredAll(admission, List.of(new AudioUpload(null, wav)), voiceActivity).get(0);
    }

    /**
     * Raw embeddings and speech measurements of every upload, in order, in one inference slot (a batch of
     * enrollments is one unit of work, as in {@link #embedAll}); a failing part is named in the problem's detail.
     */
    public List<MeasuredEmbedding> embedMeasuredAll(RequestAdmission admission, List<AudioUpload> uploads,
                                                    EnergyVoiceActivity voiceActivity) throws ProblemException {
        return inOneSlot(admission, uploads, (embedder, wav, limits) -> embedder.embedMeasured(wav,
                EmbeddingOptions.RAW, limits, voiceActivity), m -> m.result().timings());
    }

    private static ProblemException audioProblem(AudioFormatException e) {
        return switch (e.reason()) {
            case UNSUPPORTED_ENCODING -> ProblemType.UNSUPPORTED_AUDIO_ENCODING.exception(e.getMessage());
            case TOO_LARGE -> ProblemType.AUDIO_TOO_LONG.exception(e.getMessage() + " (MAX_AUDIO_SECONDS)");
            case MALFORMED, TRUNCATED -> ProblemType.MALFORMED_AUDIO.exception(e.getMessage());
        };
    }

    private static ProblemException audioProblem(AudioRejectedException e) {
        return switch (e.reason()) {
            // The configured minimum names its setting; the model's own 640-sample floor has none.
            case TOO_SHORT -> ProblemType.AUDIO_TOO_SHORT.exception(e.getMessage()
                    + (e.getMessage().contains("the minimum is") ? " (MIN_AUDIO_SECONDS)" : ""));
            case TOO_LONG -> ProblemType.AUDIO_TOO_LONG.exception(e.getMessage() + " (MAX_AUDIO_SECONDS)");
            case SILENCE -> ProblemType.AUDIO_SILENT.exception(e.getMessage());
        };
    }
}
