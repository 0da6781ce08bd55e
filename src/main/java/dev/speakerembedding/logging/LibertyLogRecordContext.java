package dev.speakerembedding.logging;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.Optional;

/**
 * Liberty's supported way of adding fields to a JSON log line: {@code com.ibm.websphere.logging.hpel.LogRecordContext}
 * (an IBM API package of Liberty's kernel, visible to every application without a feature), whose thread-local
 * extensions Liberty writes as {@code ext_<name>} fields of each line the thread logs, in JSON console, messages.log
 * and trace alike. Found by reflection: the API jar is not on Maven Central, and outside Liberty (the pre-download
 * tool, unit tests) there is nothing to bind to.
 */
public final class LibertyLogRecordContext implements LogFields.Binder {

    private static final String API = "com.ibm.websphere.logging.hpel.LogRecordContext";

    private final MethodHandle add;
    private final MethodHandle remove;

    private LibertyLogRecordContext(MethodHandle add, MethodHandle remove) {
        this.add = add;
        this.remove = remove;
    }

    /** The binder when Liberty's API is visible to {@code loader}, else empty. */
    public static Optional<LogFields.Binder> find(ClassLoader loader) {
        try {
            Class<?> api = Class.forName(API, true, loader);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            MethodHandle add = lookup.findStatic(api, "addExtension",
                    MethodType.methodType(void.class, String.class, String.class));
            MethodHandle remove = lookup.findStatic(api, "removeExtension",
                    MethodType.methodType(boolean.class, String.class));
            return Optional.of(new LibertyLogRecordContext(add, remove));
        } catch (ReflectiveOperationException | LinkageError e) {
            return Optional.empty();
        }
    }

    @Override
    public void attach(Map<String, String> fields) {
        fields.forEach((name, value) -> {
            try {
                add.invokeExact(name, value);
            } catch (Throwable t) {
                throw new IllegalStateException("LogRecordContext.addExtension failed for " + name, t);
            }
        });
    }

    @Override
    public void detach(Iterable<String> names) {
        for (String name : names) {
            try {
                // invokeExact needs the exact return type; whether the name was set does not matter here.
                boolean wasSet = (boolean) remove.invokeExact(name);
            } catch (Throwable t) {
                throw new IllegalStateException("LogRecordContext.removeExtension failed for " + name, t);
            }
        }
    }
}
