package dev.speakerembedding.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EmbeddingPairsTest {

    @Test
    void parsesTwoVectors() throws Exception {
        EmbeddingPair pair = EmbeddingPairs.parse("{\"a\":[1,2.5,-3e-2],\"b\":[0,0,1]}".getBytes(UTF_8));
        assertArrayEquals(new float[] {1f, 2.5f, -0.03f}, pair.a());
        assertArrayEquals(new float[] {0f, 0f, 1f}, pair.b());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\":[1,2]                       | INVALID_JSON",
        "[1,2]                              | INVALID_JSON",
        "{\"a\":[1,2]}                      | INVALID_JSON",
        "{\"a\":[1,2],\"b\":\"x\"}          | INVALID_JSON",
        "{\"a\":[1,\"2\"],\"b\":[1,2]}      | INVALID_JSON",
        "{\"a\":[1,2],\"b\":[1,2],\"c\":1}  | INVALID_JSON",
        "{\"a\":[1,2],\"b\":[1,2,3]}        | INVALID_EMBEDDING",
        "{\"a\":[],\"b\":[]}                | INVALID_EMBEDDING",
        "{\"a\":[1e300,2],\"b\":[1,2]}      | INVALID_EMBEDDING",
    })
    void refusesWithTheRightCode(String body, ProblemType expected) {
        ProblemException e = assertThrows(ProblemException.class, () -> EmbeddingPairs.parse(body.getBytes(UTF_8)));
        assertEquals(expected, e.type(), e.problem().detail());
    }
}
