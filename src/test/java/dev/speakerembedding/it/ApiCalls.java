package dev.speakerembedding.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.speakerembedding.testing.LibertyServer;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Raw HTTP calls to the API with hand-built bodies (the generated client cannot send malformed ones). */
final class ApiCalls {

    /** One multipart/form-data part. */
    record Part(String name, String fileName, String contentType, byte[] content) {
        static Part file(String name, String fileName, byte[] content) {
            return new Part(name, fileName, "audio/wav", content);
        }
    }

    /** A multipart/form-data body and the Content-Type naming its boundary. */
    record Multipart(String contentType, byte[] body) {
        static Multipart of(List<Part> parts) {
            String boundary = "----api-it-" + UUID.randomUUID();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Part p : parts) {
                StringBuilder h = new StringBuilder("--").append(boundary).append("\r\n")
                        .append("Content-Disposition: form-data; name=\"").append(p.name()).append('"');
                if (p.fileName() != null) {
                    h.append("; filename=\"").append(p.fileName()).append('"');
                }
                h.append("\r\n");
                if (p.contentType() != null) {
                    h.append("Content-Type: ").append(p.contentType()).append("\r\n");
                }
                h.append("\r\n");
                out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
                out.writeBytes(p.content());
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            return new Multipart("multipart/form-data; boundary=" + boundary, out.toByteArray());
        }

        static Multipart of(Part... parts) {
            return of(List.of(parts));
        }
    }

    /**
     * HTTP/1.1 only, for timing under concurrency: the JDK client's h2c upgrades of several new connections at once
     * occasionally stall for seconds on the client side (curl's concurrent upgrades to the same server do not),
     * which a test of the server's admission must not measure.
     */
    private static final HttpClient HTTP_1_1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private ApiCalls() {
    }

    static HttpResponse<String> postOverHttp11(LibertyServer server, String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        return HTTP_1_1.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(LibertyServer server, String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        return server.post(path, contentType, body);
    }

    static HttpResponse<String> post(LibertyServer server, String path, Multipart multipart)
            throws IOException, InterruptedException {
        return server.post(path, multipart.contentType(), multipart.body());
    }

    /** A body sent without Content-Length (chunked), as streaming clients do. */
    static HttpResponse<String> postChunked(LibertyServer server, String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                .build();
        return server.http().send(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> embed(LibertyServer server, byte[] wav) throws IOException, InterruptedException {
        return server.post("/v1/embeddings", "audio/wav", wav);
    }

    /** The response is the RFC 9457 document of {@code code} with {@code status}; returns it. */
    static JsonObject assertProblem(HttpResponse<String> r, int status, String code) {
        String where = r.request().method() + " " + r.uri() + " -> " + r.statusCode() + " " + r.body();
        assertEquals(status, r.statusCode(), where);
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), where);
        JsonObject p = ServerTestSupport.json(r.body());
        assertEquals(code, p.getString("code"), where);
        assertEquals(status, p.getInt("status"), where);
        assertEquals("urn:speaker-embedding:problem:" + code.replace('_', '-'), p.getString("type"), where);
        assertFalse(p.getString("title").isBlank(), where);
        assertFalse(p.getString("detail").isBlank(), where);
        assertFalse(r.body().contains("Exception") || r.body().contains("\tat ") || r.body().contains(".java:"),
                "no stack trace in an answer: " + where);
        return p;
    }

    /** Retry-After as whole seconds, at least 1. */
    static int assertRetryAfter(HttpResponse<String> r) {
        String value = r.headers().firstValue("Retry-After").orElse(null);
        assertTrue(value != null && value.matches("\\d+"), "Retry-After: " + value);
        int seconds = Integer.parseInt(value);
        assertTrue(seconds >= 1, "Retry-After: " + value);
        return seconds;
    }

    static float[] floats(JsonArray array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.getJsonNumber(i).doubleValue();
        }
        return out;
    }

    static List<float[]> embeddings(JsonObject response) {
        List<float[]> out = new ArrayList<>();
        for (var item : response.getJsonArray("data")) {
            out.add(floats(item.asJsonObject().getJsonArray("embedding")));
        }
        return out;
    }
}
