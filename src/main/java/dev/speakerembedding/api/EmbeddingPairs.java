package dev.speakerembedding.api;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.ByteArrayInputStream;
import java.util.Set;

/** Parses and checks the JSON form of a verification request, with messages that name the offending field. */
final class EmbeddingPairs {

    private static final Set<String> FIELDS = Set.of("a", "b");

    private EmbeddingPairs() {
    }

    static EmbeddingPair parse(byte[] body) throws ProblemException {
        JsonValue value;
        try (JsonReader reader = Json.createReader(new ByteArrayInputStream(body))) {
            value = reader.readValue();
        } catch (JsonParsingException e) {
            throw ProblemType.INVALID_JSON.exception("the body is not valid JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            throw ProblemType.INVALID_JSON.exception("the body is not valid JSON");
        }
        if (!(value instanceof JsonObject object)) {
            throw ProblemType.INVALID_JSON.exception("the body must be a JSON object with fields a and b");
        }
        for (String key : object.keySet()) {
            if (!FIELDS.contains(key)) {
                throw ProblemType.INVALID_JSON.exception("unknown field '" + RequestBodies.truncate(key)
                        + "'; the fields are a and b");
            }
        }
        float[] a = vector(object, "a");
        float[] b = vector(object, "b");
        if (a.length != b.length) {
            throw ProblemType.INVALID_EMBEDDING.exception("the embeddings have different lengths: a has "
                    + a.length + " values, b has " + b.length);
        }
        return new EmbeddingPair(a, b);
    }

    private static float[] vector(JsonObject object, String field) throws ProblemException {
        JsonValue value = object.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            throw ProblemType.INVALID_JSON.exception("field '" + field + "' is missing");
        }
        if (!(value instanceof JsonArray array)) {
            throw ProblemType.INVALID_JSON.exception("field '" + field + "' must be an array of numbers");
        }
        if (array.isEmpty()) {
            throw ProblemType.INVALID_EMBEDDING.exception("embedding " + field + " is empty");
        }
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(array.get(i) instanceof JsonNumber number)) {
                throw ProblemType.INVALID_JSON.exception("field '" + field + "' must be an array of numbers; item "
                        + i + " is " + array.get(i).getValueType().name().toLowerCase(java.util.Locale.ROOT));
            }
            float f = (float) number.doubleValue();
            if (!Float.isFinite(f)) {
                throw ProblemType.INVALID_EMBEDDING.exception("embedding " + field + " item " + i
                        + " is outside the float range");
            }
            out[i] = f;
        }
        return out;
    }
}
