package dev.speakerembedding.api;

import dev.speakerembedding.config.ServiceConfig;
import dev.speakerembedding.inference.UploadBudget;
import dev.speakerembedding.metrics.Refusal;
import dev.speakerembedding.metrics.RequestTimings;
import dev.speakerembedding.metrics.ServiceMetrics;
import dev.speakerembedding.metrics.Stage;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.util.List;
import java.util.Locale;

/**
 * The limits of every body this API reads, whatever reads it (a resource method or the multipart parser):
 * MAX_REQUEST_BYTES (a declared Content-Length over it is refused before a byte is read; a chunked or lying body
 * fails inside the stream the moment it passes it), the shared memory budget of uploads in progress
 * (MAX_BUFFERED_UPLOAD_BYTES, reserved as the bytes arrive, never for a length only declared: a few connections
 * announcing large bodies and sending nothing must not take the budget from everyone else),
 * and the upload deadline (UPLOAD_TIMEOUT_MS, UPLOAD_MIN_BYTES_PER_SECOND: 408 for a client that trickles).
 *
 * <p>Compressed uploads ({@code Content-Encoding}) are refused before reading too: the API never offers them, and
 * an inflated body is where a decompression bomb would spend the server's memory (RFC 9110 15.5.16: 415, with an
 * {@code Accept-Encoding} that names only {@code identity}).
 */
@Provider
@PreMatching
@Priority(Priorities.ENTITY_CODER)
@ApplicationScoped
public class RequestSizeLimit implements ContainerRequestFilter, ContainerResponseFilter {

    @Inject
    ServiceConfig config;

    @Inject
    EmbeddingService service;

    @Inject
    RequestUpload upload;

    @Inject
    ServiceMetrics metrics;

    @Inject
    RequestTimings timings;

    @Override
    public void filter(ContainerRequestContext request) {
        String encoding = contentEncoding(request.getHeaders().get(HttpHeaders.CONTENT_ENCODING));
        if (encoding != null) {
            request.abortWith(Response.fromResponse(ProblemMappers.toEarlyResponse(
                    ProblemType.UNSUPPORTED_CONTENT_ENCODING.exception("Content-Encoding '"
                            + RequestBodies.truncate(encoding) + "' is not accepted; send the audio uncompressed "
                            + "(WAV files do not shrink much under gzip anyway)")))
                    .header("Accept-Encoding", "identity").build());
            return;
        }
        long limitBytes = config.maxRequestBytes();
        long declared;
        try {
            declared = declaredLength(request.getHeaderString(HttpHeaders.CONTENT_LENGTH));
        } catch (NumberFormatException e) {
            request.abortWith(ProblemMappers.toEarlyResponse(ProblemType.BAD_REQUEST.exception(
                    "Content-Length '" + RequestBodies.truncate(request.getHeaderString(HttpHeaders.CONTENT_LENGTH))
                            + "' is not a byte count")));
            return;
        }
        if (declared > limitBytes) {
            request.abortWith(ProblemMappers.toEarlyResponse(
                    LimitedInputStream.tooLarge(limitBytes, Long.toString(declared)).toProblem()));
            return;
        }
        UploadBudget.Account account = service.uploadBudget().account();
        LimitedInputStream.Limits limits = new LimitedInputStream.Limits(limitBytes, config.uploadTimeout(),
                config.uploadMinBytesPerSecond());
        LimitedInputStream body = new LimitedInputStream(request.getEntityStream(), limits, account, System::nanoTime);
        upload.open(account, body);
        request.setEntityStream(body);
    }

    /**
     * The body is no longer needed once the answer is ready: its reservation goes back at once. Its time (when any
     * of it was read) is the request's upload stage; a refusal for want of budget is counted.
     */
    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        LimitedInputStream body = upload.body();
        if (body != null) {
            if (body.budgetRefused()) {
                metrics.refused(Refusal.UPLOAD_BUDGET);
            }
            long nanos = body.readNanos();
            if (nanos >= 0) {
                timings.add(Stage.UPLOAD, nanos);
                metrics.stage(Stage.UPLOAD, nanos);
            }
        }
        upload.release();
    }

    /**
     * The declared body length, or -1 when none is declared. Parsed here as a long: JAX-RS's own
     * {@code getLength()} is an int and fails on a header announcing gigabytes.
     *
     * @throws NumberFormatException when the header is not a non-negative decimal number
     */
    static long declaredLength(String header) {
        if (header == null || header.isBlank()) {
            return -1;
        }
        // Several equal values ("42, 42") are allowed by RFC 9110 8.6; anything else is not a length.
        long length = -1;
        for (String part : header.split(",", -1)) {
            long value = byteCount(part.strip());
            if (length >= 0 && value != length) {
                throw new NumberFormatException("different lengths");
            }
            length = value;
        }
        return length;
    }

    private static long byteCount(String value) {
        if (value.isEmpty() || value.length() > 19 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException(value);
        }
        return Long.parseLong(value);
    }

    /** The content coding(s) other than identity, or null when the body is sent as is. */
    static String contentEncoding(List<String> values) {
        if (values == null) {
            return null;
        }
        StringBuilder codings = new StringBuilder();
        for (String value : values) {
            for (String coding : value.split(",")) {
                String c = coding.strip().toLowerCase(Locale.ROOT);
                if (!c.isEmpty() && !c.equals("identity")) {
                    codings.append(codings.length() == 0 ? "" : ", ").append(c);
                }
            }
        }
        return codings.length() == 0 ? null : codings.toString();
    }
}
