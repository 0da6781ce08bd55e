package dev.speakerembedding.logging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Log lines that carry named fields beside their message, for log pipelines that read JSON (README "Logs"). The
 * message always holds the same facts in words, so a plain-text log loses nothing; where a {@link Binder} is installed
 * (Liberty's {@code LogRecordContext}, see {@link LibertyLogRecordContext}), each field also becomes a JSON field of
 * that line ({@code ext_<name>}).
 *
 * <p>Plain Java: the application's edge installs the binder; the pre-download tool and unit tests log without one.
 * Only values that are safe in any log belong here: states, counts, sizes, durations, repository ids and file names;
 * never a token, a vector, a score or an id a client chose.
 */
public final class LogFields {

    /**
     * Attaches fields to the log records the current thread writes until they are detached. A name ending in
     * {@code _int}, {@code _long}, {@code _float} or {@code _bool} marks a number or a boolean (Liberty's convention);
     * any other is text.
     */
    public interface Binder {
        void attach(Map<String, String> fields);

        void detach(Iterable<String> names);
    }

    private static final Binder NONE = new Binder() {
        @Override
        public void attach(Map<String, String> fields) {
        }

        @Override
        public void detach(Iterable<String> names) {
        }
    };

    private static volatile Binder binder = NONE;

    private LogFields() {
    }

    /** Makes every later {@link #log} attach its fields through {@code b} (null: none). */
    public static void install(Binder b) {
        binder = b == null ? NONE : b;
    }

    /** Fields in the order given: {@code name, value, name, value, ...}; null values are left out. */
    public static Map<String, String> of(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values come in pairs: " + namesAndValues.length + " given");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                fields.put((String) namesAndValues[i], String.valueOf(namesAndValues[i + 1]));
            }
        }
        return fields;
    }

    /** Logs {@code message} (no parameters, taken literally) with {@code fields} attached to that one line. */
    public static void log(Logger logger, Level level, String message, Throwable thrown, Map<String, String> fields) {
        if (!logger.isLoggable(level)) {
            return;
        }
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName(logger.getName());
        record.setThrown(thrown);
        // The caller, not this class, is the line's source (JUL would infer this method from the stack).
        StackWalker.getInstance().walk(frames -> frames.filter(f -> !f.getClassName().equals(LogFields.class.getName()))
                .findFirst()).ifPresent(caller -> {
                    record.setSourceClassName(caller.getClassName());
                    record.setSourceMethodName(caller.getMethodName());
                });
        Binder b = binder;
        try {
            b.attach(fields);
        } catch (RuntimeException e) {
            // A binder that fails costs the fields, never the line.
            b = NONE;
        }
        try {
            logger.log(record);
        } finally {
            try {
                b.detach(fields.keySet());
            } catch (RuntimeException e) {
                // as above
            }
        }
    }
}
