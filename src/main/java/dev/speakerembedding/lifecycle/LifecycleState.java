package dev.speakerembedding.lifecycle;

/** Where the model lifecycle stands; reported by /v1/status and every health check. */
public enum LifecycleState {
    /** The worker has not looked at the cache yet. */
    STARTING,
    /** Looking for the model in the cache and verifying it. */
    CHECKING_CACHE,
    /** Fetching files from the Hub. */
    DOWNLOADING,
    /** Converting (first time only) and creating the ONNX Runtime session. */
    LOADING,
    /** A model is loaded and serving. */
    READY,
    /** The last attempt failed for a reason that can go away (network, offline cache not filled yet): retrying. */
    WAITING_TO_RETRY,
    /** The last attempt failed for a reason only a configuration change fixes (no access, unknown repo, bad files). */
    FAILED,
    /** Shut down. */
    STOPPED
}
