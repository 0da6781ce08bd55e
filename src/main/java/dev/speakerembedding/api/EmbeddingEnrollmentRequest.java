package dev.speakerembedding.api;

import dev.speakerembedding.profiles.ModelIdentity;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON body of enrollSpeakerEmbedding, read strictly: an embedding, the identity of the model that made it
 * (every field of {@link ModelIdentity}, as given), and the numbers measured on its audio. Checking it against the
 * serving model is {@link #mismatches}; the vector itself is checked when the enrollment is built.
 *
 * @param embedding       the values as sent, rounded to float32 (a value beyond float32's range becomes infinite
 *                        and is refused later, as NaN would be)
 * @param model           the identity's fields as sent
 * @param durationSeconds the audio's duration
 * @param speechSeconds   the speech in it
 */
record EmbeddingEnrollmentRequest(float[] embedding, Model model, double durationSeconds, double speechSeconds) {

    /** The identity as sent: plain values, since one that is no valid identity is simply not the serving one. */
    record Model(String family, String repo, String commit, int dimension, String normalization, String precision,
                 String modelSha256) {
    }

    private static final Set<String> FIELDS = Set.of("embedding", "model", "duration_seconds", "speech_seconds");
    private static final Set<String> MODEL_FIELDS =
            Set.of("family", "repo", "commit", "dimension", "normalization", "precision", "model_sha256");
    /** Far above the values of any supported dimension as JSON numbers, far below an audio upload. */
    static final long MAX_BODY_BYTES = 2L * 1024 * 1024;

    static EmbeddingEnrollmentRequest parse(byte[] json) throws ProblemException {
        JsonObject o = object(json);
        requireOnly(o, FIELDS, "an embedding enrollment takes embedding, model, duration_seconds and "
                + "speech_seconds");
        JsonValue vector = required(o, "embedding");
        if (vector.getValueType() != JsonValue.ValueType.ARRAY) {
            throw ProblemType.INVALID_JSON.exception("embedding must be an array of numbers");
        }
        List<JsonValue> values = vector.asJsonArray();
        float[] embedding = new float[values.size()];
        for (int i = 0; i < embedding.length; i++) {
            if (!(values.get(i) instanceof JsonNumber n)) {
                throw ProblemType.INVALID_JSON.exception("embedding must be an array of numbers; value " + i
                        + " is not a number");
            }
            embedding[i] = (float) n.doubleValue();
        }
        JsonValue modelValue = required(o, "model");
        if (modelValue.getValueType() != JsonValue.ValueType.OBJECT) {
            throw ProblemType.INVALID_JSON.exception("model must be an object with family, repo, commit, "
                    + "dimension, normalization and precision");
        }
        JsonObject m = modelValue.asJsonObject();
        requireOnly(m, MODEL_FIELDS, "model takes family, repo, commit, dimension, normalization, precision and,"
                + " for a model served from an ONNX file, model_sha256");
        Model model = new Model(string(m, "family"), string(m, "repo"), string(m, "commit"), integer(m, "dimension"),
                string(m, "normalization"), string(m, "precision"),
                m.containsKey("model_sha256") ? string(m, "model_sha256") : null);
        return new EmbeddingEnrollmentRequest(embedding, model, number(o, "duration_seconds"),
                number(o, "speech_seconds"));
    }

    /** The names of the identity's fields that differ from {@code serving}'s; empty when it is the same model. */
    List<String> mismatches(ModelIdentity serving) {
        List<String> differ = new ArrayList<>();
        if (!serving.family().equals(model.family())) {
            differ.add("family");
        }
        if (!serving.repoId().equals(model.repo())) {
            differ.add("repo");
        }
        if (!serving.commit().equals(model.commit())) {
            differ.add("commit");
        }
        if (serving.dimension() != model.dimension()) {
            differ.add("dimension");
        }
        if (!serving.normalization().keyValue().equals(model.normalization())) {
            differ.add("normalization");
        }
        if (!serving.precision().equals(model.precision())) {
            differ.add("precision");
        }
        if (!Objects.equals(serving.modelSha256(), model.modelSha256())) {
            differ.add("model_sha256");
        }
        return differ;
    }

    private static JsonObject object(byte[] json) throws ProblemException {
        try (JsonReader r = Json.createReader(new ByteArrayInputStream(json))) {
            JsonValue v = r.readValue();
            if (v.getValueType() != JsonValue.ValueType.OBJECT) {
                throw ProblemType.INVALID_JSON.exception("the body must be a JSON object such as {\"embedding\":"
                        + "[...],\"model\":{...},\"duration_seconds\":...,\"speech_seconds\":...}");
            }
            return v.asJsonObject();
        } catch (JsonException | IllegalStateException e) {
            throw ProblemType.INVALID_JSON.exception("the body is not valid JSON");
        }
    }

    private static void requireOnly(JsonObject o, Set<String> allowed, String hint) throws ProblemException {
        for (String key : o.keySet()) {
            if (!allowed.contains(key)) {
                throw ProblemType.INVALID_JSON.exception("unknown field '" + RequestBodies.truncate(key) + "'; "
                        + hint);
            }
        }
    }

    private static JsonValue required(JsonObject o, String name) throws ProblemException {
        JsonValue v = o.get(name);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            throw ProblemType.INVALID_JSON.exception(name + " is missing");
        }
        return v;
    }

    private static String string(JsonObject o, String name) throws ProblemException {
        JsonValue v = required(o, name);
        if (v.getValueType() != JsonValue.ValueType.STRING) {
            throw ProblemType.INVALID_JSON.exception("model." + name + " must be a string");
        }
        return o.getString(name);
    }

    private static int integer(JsonObject o, String name) throws ProblemException {
        if (!(required(o, name) instanceof JsonNumber n) || !n.isIntegral()) {
            throw ProblemType.INVALID_JSON.exception("model." + name + " must be an integer");
        }
        try {
            return n.intValueExact();
        } catch (ArithmeticException e) {
            throw ProblemType.INVALID_JSON.exception("model." + name + " is out of range");
        }
    }

    private static double number(JsonObject o, String name) throws ProblemException {
        if (!(required(o, name) instanceof JsonNumber n)) {
            throw ProblemType.INVALID_JSON.exception(name + " must be a number");
        }
        return n.doubleValue();
    }
}
