package dev.speakerembedding.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogFieldsTest {

    private final Logger logger = Logger.getLogger("dev.speakerembedding.logging.LogFieldsTest");
    private final List<LogRecord> records = new ArrayList<>();
    /** What a binder held while each record was published, as Liberty's handler would read it. */
    private final List<Map<String, String>> seen = new ArrayList<>();
    private final Map<String, String> bound = new HashMap<>();

    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
            seen.add(Map.copyOf(bound));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    LogFieldsTest() {
        logger.setUseParentHandlers(false);
        logger.addHandler(handler);
    }

    @AfterEach
    void reset() {
        LogFields.install(null);
        logger.removeHandler(handler);
    }

    @Test
    void fieldsAreAttachedForTheOneLineAndDetachedAfterIt() {
        LogFields.install(new LogFields.Binder() {
            @Override
            public void attach(Map<String, String> fields) {
                bound.putAll(fields);
            }

            @Override
            public void detach(Iterable<String> names) {
                names.forEach(bound::remove);
            }
        });
        LogFields.log(logger, Level.INFO, "Model m: loading {0}", null,
                LogFields.of("model", "m", "attempt_int", 2, "commit", null));
        assertEquals(1, records.size());
        assertEquals("Model m: loading {0}", records.get(0).getMessage(), "taken literally");
        assertNull(records.get(0).getParameters());
        assertEquals(Map.of("model", "m", "attempt_int", "2"), seen.get(0), "null values are left out");
        assertTrue(bound.isEmpty(), "detached after the line: " + bound);
        assertEquals(LogFieldsTest.class.getName(), records.get(0).getSourceClassName(), "the caller is the source");
        assertEquals("fieldsAreAttachedForTheOneLineAndDetachedAfterIt", records.get(0).getSourceMethodName());
    }

    @Test
    void aFailingBinderCostsTheFieldsNotTheLine() {
        LogFields.install(new LogFields.Binder() {
            @Override
            public void attach(Map<String, String> fields) {
                throw new IllegalStateException("no context");
            }

            @Override
            public void detach(Iterable<String> names) {
                throw new IllegalStateException("no context");
            }
        });
        RuntimeException cause = new RuntimeException("x");
        LogFields.log(logger, Level.WARNING, "still logged", cause, LogFields.of("model", "m"));
        assertEquals(1, records.size());
        assertEquals(cause, records.get(0).getThrown());
    }

    @Test
    void belowTheLoggersLevelNothingIsBound() {
        List<String> calls = new ArrayList<>();
        LogFields.install(new LogFields.Binder() {
            @Override
            public void attach(Map<String, String> fields) {
                calls.add("attach");
            }

            @Override
            public void detach(Iterable<String> names) {
                calls.add("detach");
            }
        });
        logger.setLevel(Level.INFO);
        LogFields.log(logger, Level.FINE, "hidden", null, LogFields.of("a", 1));
        assertEquals(List.of(), records);
        assertEquals(List.of(), calls);
    }

    @Test
    void outsideLibertyThereIsNoBinderAndFieldsComeInPairs() {
        assertTrue(LibertyLogRecordContext.find(LogFieldsTest.class.getClassLoader()).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> LogFields.of("model"));
    }
}
