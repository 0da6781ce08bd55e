package dev.speakerembedding.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OperationsTest {

    private static final String ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

    @Test
    void everyOperationOfTheApiIsNamedByItsOperationId() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("POST /v1/embeddings", "createEmbeddings"),
                Map.entry("POST /v1/verify", "verifySpeakers"),
                Map.entry("POST /v1/verify/embeddings", "compareEmbeddings"),
                Map.entry("POST /v1/identify", "identifySpeaker"),
                Map.entry("GET /v1/model", "getModel"),
                Map.entry("GET /v1/status", "getStatus"),
                Map.entry("POST /v1/speakers", "createSpeaker"),
                Map.entry("GET /v1/speakers", "listSpeakers"),
                Map.entry("GET /v1/speakers/" + ID, "getSpeaker"),
                Map.entry("DELETE /v1/speakers/" + ID, "deleteSpeaker"),
                Map.entry("POST /v1/speakers/" + ID + "/enrollments", "enrollSpeaker"),
                Map.entry("GET /v1/speakers/" + ID + "/enrollments", "listEnrollments"),
                Map.entry("DELETE /v1/speakers/" + ID + "/enrollments", "resetEnrollments"),
                Map.entry("POST /v1/speakers/" + ID + "/enrollments/embedding", "enrollSpeakerEmbedding"),
                Map.entry("DELETE /v1/speakers/" + ID + "/enrollments/" + ID, "deleteEnrollment"),
                Map.entry("POST /v1/speakers/" + ID + "/verify", "verifySpeaker"));
        expected.forEach((request, operation) -> {
            String[] parts = request.split(" ");
            assertEquals(operation, Operations.of(parts[0], parts[1], null), request);
        });
    }

    @Test
    void theJsonFormAtVerifyIsCompareEmbeddings() {
        assertEquals("compareEmbeddings", Operations.of("POST", "/v1/verify", "application/json; charset=utf-8"));
        assertEquals("verifySpeakers", Operations.of("POST", "/v1/verify", "multipart/form-data; boundary=x"));
    }

    @Test
    void anythingElseIsOtherSoLabelValuesStayBounded() {
        for (String[] r : new String[][] {{"GET", "/v1/embeddings"}, {"PUT", "/v1/speakers/" + ID},
                {"GET", "/v1/no-such-thing"}, {"GET", "/"}, {"GET", "/openapi"}, {"POST", "/v1/speakers//verify"},
                {"POST", "/v1/speakers/" + ID + "/x/y/z"}, {"GET", "/v2/status"}, {null, "/v1/status"},
                {"GET", null}}) {
            assertEquals(Operations.OTHER, Operations.of(r[0], r[1], null), String.join(" ", String.valueOf(r[0]),
                    String.valueOf(r[1])));
        }
    }

    @Test
    void aTrailingSlashIsTheSameOperation() {
        assertEquals("getStatus", Operations.of("get", "/v1/status/", null));
    }
}
