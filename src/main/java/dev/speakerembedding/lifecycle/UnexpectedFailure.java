package dev.speakerembedding.lifecycle;

/**
 * What an unexpected throwable from a load attempt (anything but the Hub's and the model format's own exceptions)
 * means for the lifecycle: whether another attempt in this JVM can succeed, and whether a restart of the process can
 * help where another attempt cannot.
 */
enum UnexpectedFailure {

    /**
     * A bug or a transient condition (a {@link RuntimeException}, an {@link AssertionError}, ...): tried again
     * with the usual backoff, so a passing cause heals by itself.
     */
    RETRY,

    /**
     * The runtime cannot load a class or a native library ({@link LinkageError}: {@link UnsatisfiedLinkError},
     * {@link NoClassDefFoundError}, {@link ExceptionInInitializerError}). A class whose initialisation failed stays
     * failed for the life of the JVM, so retrying in process can never succeed; and the image or the platform is the
     * cause (a native library for another C library, a {@code java.io.tmpdir} mounted {@code noexec}, a jar
     * missing), which a restart of the same image reproduces. FAILED, with the cause for the operator; liveness stays
     * UP, because a restart loop would only hide the message.
     */
    BROKEN_RUNTIME,

    /**
     * The JVM itself failed ({@link VirtualMachineError}: {@link OutOfMemoryError}, {@link StackOverflowError},
     * {@link InternalError}): its state is no longer trustworthy, and a fresh process can succeed (memory freed,
     * or a larger limit after an operator's change). FAILED, and liveness DOWN so that the orchestrator restarts it.
     */
    RESTART_REQUIRED;

    static UnexpectedFailure of(Throwable failure) {
        if (failure instanceof VirtualMachineError) {
            return RESTART_REQUIRED;
        }
        if (failure instanceof LinkageError) {
            return BROKEN_RUNTIME;
        }
        return RETRY;
    }
}
