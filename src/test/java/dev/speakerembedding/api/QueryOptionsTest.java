package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QueryOptionsTest {

    @Test
    void flagsAreTrueOrFalseInAnyCase() throws Exception {
        for (String yes : List.of("true", "TRUE", "True")) {
            assertTrue(QueryOptions.flag("normalize", yes), yes);
        }
        for (String no : List.of("false", "FALSE", "False")) {
            assertFalse(QueryOptions.flag("normalize", no), no);
        }
        assertFalse(QueryOptions.flag("normalize", null), "absent is false");
    }

    /** The README and the document's boolean type promise true/false only: other spellings are refused. */
    @ParameterizedTest
    @ValueSource(strings = {"1", "0", "yes", "no", "YES", "on", "off", "", " true", "maybe", "2", "tru"})
    void anyOtherFlagValueIsInvalidOption(String value) {
        ProblemException e = assertThrows(ProblemException.class, () -> QueryOptions.flag("unit_length", value));
        assertEquals(ProblemType.INVALID_OPTION, e.type());
        assertTrue(e.problem().detail().contains("unit_length must be true or false, got '" + value + "'"),
                e.problem().detail());
    }

    @Test
    void thresholdIsANumberFromMinusOneToOne() throws Exception {
        assertEquals(0.25, QueryOptions.threshold("threshold", null, 0.25));
        assertEquals(0.7, QueryOptions.threshold("threshold", "0.7", 0.25));
        assertEquals(-1.0, QueryOptions.threshold("threshold", "-1", 0.25));
        for (String bad : List.of("1.01", "NaN", "high", "Infinity", "")) {
            assertEquals(ProblemType.INVALID_OPTION,
                    assertThrows(ProblemException.class, () -> QueryOptions.threshold("threshold", bad, 0.25)).type(),
                    bad);
        }
    }

    @Test
    void unknownOrRepeatedOptionsAreRefused() throws Exception {
        MultivaluedMap<String, String> query = new MultivaluedHashMap<>();
        query.add("normalize", "true");
        QueryOptions.requireKnown(query, Set.of("normalize", "unit_length"));
        query.add("normalise", "true");
        ProblemException e = assertThrows(ProblemException.class,
                () -> QueryOptions.requireKnown(query, Set.of("normalize", "unit_length")));
        assertTrue(e.problem().detail().contains("'normalise'"), e.problem().detail());
        MultivaluedMap<String, String> twice = new MultivaluedHashMap<>();
        twice.addAll("normalize", "true", "false");
        assertEquals(ProblemType.INVALID_OPTION, assertThrows(ProblemException.class,
                () -> QueryOptions.requireKnown(twice, Set.of("normalize"))).type());
    }
}
