package dev.speakerembedding.hub;

import dev.speakerembedding.files.FileDigests;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;

/**
 * Talks to the Hugging Face Hub (or a mirror) with huggingface_hub's protocol: a HEAD on
 * {@code {endpoint}/{repo_id}/resolve/{revision}/{filename}} for the metadata, then a GET of the bytes,
 * usually from the CDN the Hub redirects LFS files to.
 *
 * <p>Redirects are followed by hand so that the token is provably sent to the configured endpoint's
 * scheme+host+port only, never to the CDN. Thread-safe; one instance can serve concurrent downloads.
 */
public final class HubClient {
    private static final Logger LOG = Logger.getLogger(HubClient.class.getName());

    private static final int MAX_REDIRECTS = 10;
    private static final int BUFFER_BYTES = 1 << 16;
    // A listing of tens of thousands of files stays well under this; a bigger answer is not the Hub's.
    static final int MAX_LISTING_BYTES = 64 << 20;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    static final String USER_AGENT = "speaker-embedding/" + version() + "; java/" + Runtime.version().feature();

    // Error bodies are read and dropped (the connection stays reusable); only 200/206 bodies are streamed.
    private static final BodyHandler<Flow.Publisher<List<ByteBuffer>>> BODY_ON_SUCCESS = info ->
            info.statusCode() == 200 || info.statusCode() == 206
                    ? BodySubscribers.ofPublisher()
                    : BodySubscribers.replacing(null);

    private final HubSettings settings;
    private final HttpClient http;
    private final String endpointOrigin;
    /** Told of every retry, whichever request (a HEAD, a listing, a download's body). */
    private final DownloadListener events;

    public HubClient(HubSettings settings) {
        this(settings, DownloadListener.none());
    }

    /** @param events told of every retry (for metrics); {@link DownloadListener#none()} for nobody */
    public HubClient(HubSettings settings, DownloadListener events) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.events = Objects.requireNonNull(events, "events");
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.endpointOrigin = origin(settings.endpoint());
    }

    public HubSettings settings() {
        return settings;
    }

    /** huggingface_hub's hf_hub_url: revision quoted entirely, file name quoted keeping '/'. */
    public URI resolveUrl(RepoRef ref, String filename) throws UnsafeNameException {
        Names.validateFilename(filename);
        return URI.create(settings.endpoint() + "/" + ref.repoId() + "/resolve/" + Names.quote(ref.revision(), "")
                + "/" + Names.quote(filename, "/"));
    }

    /** huggingface_hub's model_info URL: {@code {endpoint}/api/models/{repo_id}/revision/{revision}}, revision quoted entirely. */
    public URI listingUrl(RepoRef ref) {
        return URI.create(settings.endpoint() + "/api/models/" + ref.repoId() + "/revision/"
                + Names.quote(ref.revision(), ""));
    }

    /**
     * The repository's files at {@code ref}'s revision and the commit it resolves to, as huggingface_hub's
     * {@code model_info} reads them: one GET, retried like a HEAD, the token sent to the endpoint only; a redirect on
     * the endpoint (a renamed repository) is followed, one off it is refused.
     */
    public RepoListing listFiles(RepoRef ref) throws HubException {
        URI url = listingUrl(ref);
        return withRetries("GET " + redact(url), () -> listOnce(ref, url));
    }

    private RepoListing listOnce(RepoRef ref, URI url) throws HubException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            HttpRequest request = request(current).header("Accept", "application/json").GET().build();
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response = send(request, BODY_ON_SUCCESS);
            int status = response.statusCode();
            if (isRedirect(status)) {
                URI target = resolveLocation(current, response.headers().firstValue("Location").orElse(null));
                if (!origin(target).equals(endpointOrigin)) {
                    throw new HubException("The Hub redirected the file list request " + redact(url) + " to another"
                            + " host (" + redact(target) + "); not followed: check HF_ENDPOINT");
                }
                if (hop >= MAX_REDIRECTS) {
                    throw new HubException("Too many redirects for " + redact(url));
                }
                current = target;
                continue;
            }
            if (status != 200) {
                throw failure(status, response.headers(), current, ref, "(the file list)");
            }
            ByteArrayOutputStream json = new ByteArrayOutputStream();
            try (TimedBodyStream body = TimedBodyStream.of(response.body(), settings.readTimeout())) {
                byte[] buffer = new byte[BUFFER_BYTES];
                int n;
                while ((n = body.read(buffer, 0, buffer.length)) != -1) {
                    if (json.size() + n > MAX_LISTING_BYTES) {
                        throw new HubUnavailableException("The answer for " + redact(current) + " is larger than "
                                + MAX_LISTING_BYTES + " bytes: not the Hub's model info; check HF_ENDPOINT", null);
                    }
                    json.write(buffer, 0, n);
                }
            } catch (IOException e) {
                throw new RetryableFailure("connection lost while reading " + redact(current) + ": " + describe(e),
                        e, null);
            }
            return RepoListing.fromModelInfo(ref, new ByteArrayInputStream(json.toByteArray()), redact(url));
        }
    }

    /**
     * The file's commit, etag, size and download location (huggingface_hub's get_hf_file_metadata): redirects
     * that stay on the endpoint (relative ones, as for a renamed repo) are followed; one that leaves it (the CDN)
     * is not, its target becomes the location.
     */
    public FileMetadata head(RepoRef ref, String filename) throws HubException {
        URI url = resolveUrl(ref, filename);
        return withRetries("HEAD " + redact(url), () -> headOnce(ref, filename, url));
    }

    /**
     * Streams the file into {@code target}, resuming with a Range request when the connection drops, and checks
     * its size and hash (sha256 for LFS files, git blob sha1 otherwise) before returning. A non-empty
     * {@code target} is taken as a prefix of the file: it is hashed first and the download resumes after it.
     * On failure {@code target} may hold unverified bytes; the caller deletes it.
     *
     * @return the file size in bytes
     * @throws DownloadVerificationException when the bytes kept failing verification after every retry
     * @throws CacheWriteException when {@code target} cannot be written
     */
    public long download(RepoRef ref, String filename, FileMetadata meta, Path target, DownloadListener listener)
            throws HubException {
        Names.validateFilename(filename);
        DownloadListener progressListener = listener == null ? DownloadListener.none() : listener;
        URI start = downloadUrl(ref, filename, meta);
        boolean fresh = false;
        for (int failedVerifications = 0; ; ) {
            String problem;
            try (Transfer transfer = Transfer.open(target, meta, fresh)) {
                Progress progress = new Progress(progressListener, filename, meta.sizeBytes(),
                        settings.progressInterval(), transfer.done);
                fetchBody(ref, filename, meta, start, transfer, progress);
                String actual = transfer.finishHash();
                if (actual.equalsIgnoreCase(meta.etag())) {
                    transfer.force();
                    return meta.sizeBytes();
                }
                problem = "expected " + Hashing.algorithmFor(meta.etag()) + " " + meta.etag() + ", got " + actual;
            } catch (BadContent e) {
                problem = e.getMessage();
            }
            failedVerifications++;
            fresh = true;
            if (failedVerifications > settings.maxRetries()) {
                throw new DownloadVerificationException("Download of " + filename + " of " + ref.repoId() + " from "
                        + redact(start) + " failed verification " + failedVerifications + " times (" + problem
                        + "); the file was not accepted");
            }
            Duration delay = backoff(failedVerifications - 1, null);
            events.retrying("GET " + redact(start), delay);
            LOG.log(Level.WARNING, "Download of {0} from {1} failed verification ({2}); downloading it again in {3} ms",
                    new Object[] {filename, redact(start), problem, delay.toMillis()});
            sleep(delay, filename);
        }
    }

    private FileMetadata headOnce(RepoRef ref, String filename, URI url) throws HubException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            HttpRequest request = request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<Void> response = send(request, HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            if (isRedirect(status)) {
                String location = response.headers().firstValue("Location").orElse(null);
                URI target = resolveLocation(current, location);
                // Off the endpoint (the CDN): the metadata is on this response, and the token must not follow.
                if (!isRelative(location) && !origin(target).equals(endpointOrigin)) {
                    return metadata(response, target, url);
                }
                if (hop >= MAX_REDIRECTS) {
                    throw new HubException("Too many redirects for " + redact(url));
                }
                current = target;
                continue;
            }
            if (status >= 200 && status < 300) {
                return metadata(response, current, url);
            }
            throw failure(status, response.headers(), current, ref, filename);
        }
    }

    private FileMetadata metadata(HttpResponse<?> response, URI location, URI url) throws HubException {
        HttpHeaders headers = response.headers();
        String commit = firstNonBlank(headers, "X-Repo-Commit", null);
        if (commit == null) {
            throw new HubUnavailableException("The answer for " + redact(url) + " has no X-Repo-Commit header, so it"
                    + " does not come from a Hugging Face Hub: check HF_ENDPOINT and any proxy or firewall in between", null);
        }
        String etag = Names.normalizeEtag(firstNonBlank(headers, "X-Linked-Etag", "ETag"));
        if (etag == null || etag.isEmpty()) {
            throw new HubUnavailableException("The answer for " + redact(url) + " has no ETag: the file's identity"
                    + " cannot be checked", null);
        }
        // A redirect's Content-Length is the length of the redirect's own body, not the file's.
        String size = firstNonBlank(headers, "X-Linked-Size", isRedirect(response.statusCode()) ? null : "Content-Length");
        long sizeBytes;
        try {
            sizeBytes = Long.parseLong(Objects.requireNonNull(size, "size"));
        } catch (NumberFormatException | NullPointerException e) {
            throw new HubUnavailableException("The answer for " + redact(url) + " has no valid X-Linked-Size or"
                    + " Content-Length (" + size + ")", e);
        }
        try {
            Names.validateCommit(commit);
            Names.validateEtag(etag);
        } catch (UnsafeNameException e) {
            throw new UnsafeNameException("The Hub's answer for " + redact(url) + " was refused: " + e.getMessage());
        }
        if (sizeBytes < 0) {
            throw new HubUnavailableException("The answer for " + redact(url) + " has a negative size", null);
        }
        return new FileMetadata(commit, etag, sizeBytes, location);
    }

    /** A signed CDN location as is; a Hub location pinned to the commit, so the bytes are those the HEAD described. */
    private URI downloadUrl(RepoRef ref, String filename, FileMetadata meta) throws UnsafeNameException {
        if (!origin(meta.location()).equals(endpointOrigin)) {
            return meta.location();
        }
        return resolveUrl(ref.atCommit(meta.commit()), filename);
    }

    private void fetchBody(RepoRef ref, String filename, FileMetadata meta, URI start, Transfer transfer,
            Progress progress) throws HubException {
        int failuresWithoutProgress = 0;
        while (transfer.done < meta.sizeBytes()) {
            long before = transfer.done;
            try {
                streamOnce(ref, filename, meta, start, transfer, progress);
            } catch (RetryableFailure failure) {
                if (transfer.done > before) {
                    failuresWithoutProgress = 0;
                }
                if (failuresWithoutProgress >= settings.maxRetries()) {
                    throw new HubUnavailableException("Download of " + filename + " of " + ref.repoId() + " from "
                            + redact(start) + " failed after " + (failuresWithoutProgress + 1) + " attempts without"
                            + " progress: " + failure.getMessage(), failure.getCause());
                }
                Duration delay = backoff(failuresWithoutProgress, failure.retryAfter);
                failuresWithoutProgress++;
                events.retrying("GET " + redact(start), delay);
                LOG.log(Level.WARNING, "Download of {0} interrupted at {1} of {2} bytes ({3}); resuming in {4} ms",
                        new Object[] {filename, transfer.done, meta.sizeBytes(), failure.getMessage(), delay.toMillis()});
                sleep(delay, filename);
            }
        }
    }

    /** One GET (following redirects) that appends to {@code transfer} from its current size. */
    private void streamOnce(RepoRef ref, String filename, FileMetadata meta, URI start, Transfer transfer,
            Progress progress) throws HubException {
        URI current = start;
        for (int hop = 0; ; hop++) {
            long offset = transfer.done;
            HttpRequest.Builder builder = request(current).GET();
            if (offset > 0) {
                builder.header("Range", "bytes=" + offset + "-");
            }
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response = send(builder.build(), BODY_ON_SUCCESS);
            int status = response.statusCode();
            if (isRedirect(status)) {
                if (hop >= MAX_REDIRECTS) {
                    throw new HubException("Too many redirects for " + redact(start));
                }
                current = resolveLocation(current, response.headers().firstValue("Location").orElse(null));
                continue;
            }
            if ((status == 401 || status == 403) && !origin(current).equals(endpointOrigin)
                    && !transfer.signedUrlRenewed) {
                // A signed CDN URL expires; the Hub hands out a fresh one for the same content.
                transfer.signedUrlRenewed = true;
                LOG.log(Level.INFO, "{0} refused the download of {1} (expired signed URL?); asking the Hub again",
                        new Object[] {redact(current), filename});
                current = resolveUrl(ref.atCommit(meta.commit()), filename);
                continue;
            }
            if (status == 416) {
                transfer.restart();
                throw new RetryableFailure("the server refused to resume at byte " + offset + "; restarting", null, null);
            }
            if (status != 200 && status != 206) {
                throw failure(status, response.headers(), current, ref.atCommit(meta.commit()), filename);
            }
            try (TimedBodyStream body = TimedBodyStream.of(response.body(), settings.readTimeout())) {
                if (status == 200 && offset > 0) {
                    LOG.log(Level.INFO, "{0} ignored the Range request for {1}; downloading it from the start",
                            new Object[] {redact(current), filename});
                    transfer.restart();
                } else if (status == 206) {
                    checkContentRange(response.headers(), offset, meta.sizeBytes(), transfer, current);
                }
                byte[] buffer = new byte[BUFFER_BYTES];
                int n;
                while ((n = body.read(buffer, 0, buffer.length)) != -1) {
                    if (transfer.done + n > meta.sizeBytes()) {
                        throw new BadContent("the server sent more than the expected " + meta.sizeBytes() + " bytes");
                    }
                    transfer.write(buffer, n);
                    progress.update(transfer.done);
                }
            } catch (IOException e) {
                throw new RetryableFailure("connection lost after " + transfer.done + " of " + meta.sizeBytes()
                        + " bytes: " + describe(e), e, null);
            }
            if (transfer.done < meta.sizeBytes()) {
                throw new RetryableFailure("the body ended after " + transfer.done + " of " + meta.sizeBytes()
                        + " bytes", null, null);
            }
            return;
        }
    }

    private static void checkContentRange(HttpHeaders headers, long offset, long sizeBytes, Transfer transfer, URI url)
            throws HubException {
        String value = headers.firstValue("Content-Range").orElse("");
        Matcher matcher = CONTENT_RANGE.matcher(value.strip());
        if (!matcher.matches() || Long.parseLong(matcher.group(1)) != offset) {
            transfer.restart();
            throw new RetryableFailure("answer to 'Range: bytes=" + offset + "-' from " + redact(url)
                    + " has Content-Range '" + value + "'; restarting from the start", null, null);
        }
        if (!matcher.group(3).equals("*") && Long.parseLong(matcher.group(3)) != sizeBytes) {
            throw new BadContent("the server reports a size of " + matcher.group(3) + " bytes, the Hub said "
                    + sizeBytes);
        }
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(settings.readTimeout())
                .version("https".equalsIgnoreCase(uri.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .header("User-Agent", USER_AGENT)
                // the real size must be known, and the bytes hashed as stored
                .header("Accept-Encoding", "identity");
        if (settings.token().isPresent() && endpointOrigin.equals(origin(uri))) {
            builder.header("Authorization", "Bearer " + settings.token().reveal());
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler) throws HubException {
        try {
            return http.send(request, handler);
        } catch (SSLHandshakeException e) {
            if (untrustedCertificate(e)) {
                // Retrying within seconds cannot change a certificate: the caller's slower retry schedule applies
                // (a mirror may renew its certificate), and the message says what to configure meanwhile.
                throw new HubUnavailableException(tlsProblem(e, request.uri()), e);
            }
            throw new RetryableFailure(tlsProblem(e, request.uri()), e, null);
        } catch (IOException e) {
            throw new RetryableFailure(describe(e) + " for " + redact(request.uri()), e, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("Interrupted during " + request.method() + " " + redact(request.uri()), e);
        }
    }

    private HubException failure(int status, HttpHeaders headers, URI url, RepoRef ref, String filename) {
        String code = headers.firstValue("X-Error-Code").orElse("").strip();
        String where = " (HTTP " + status + (code.isEmpty() ? "" : " " + code) + " for " + redact(url) + ")";
        if (status == 429) {
            return new RetryableFailure("rate limited" + where, null, retryAfter(headers));
        }
        if (status >= 500) {
            return new RetryableFailure("server error" + where, null, retryAfter(headers));
        }
        if (status == 401 || status == 403) {
            String hint;
            if (settings.token().isPresent()) {
                hint = " (the token in HF_TOKEN was refused: it may lack access, or the model's conditions are not"
                        + " accepted yet on the Hub)";
            } else if (code.equals("RepoNotFound")) {
                hint = " (or it does not exist: check EMBEDDING_MODEL)";
            } else {
                hint = "";
            }
            return new RepoAccessException("Repository " + ref.repoId() + " is gated or private: set HF_TOKEN to a"
                    + " token that has access" + hint + "; file " + filename + where);
        }
        if (status == 404) {
            String check = ": check EMBEDDING_MODEL / MODEL_REVISION";
            switch (code) {
                case "RepoNotFound":
                    return new RepoNotFoundException("Repository " + ref.repoId() + " not found on "
                            + settings.endpoint() + where + check, RepoNotFoundException.Missing.REPOSITORY);
                case "RevisionNotFound":
                    return new RepoNotFoundException("Revision " + ref.revision() + " of repository " + ref.repoId()
                            + " not found" + where + check, RepoNotFoundException.Missing.REVISION);
                default:
                    return new RepoNotFoundException("File " + filename + " not found in repository " + ref.repoId()
                            + " at revision " + ref.revision() + where + check, RepoNotFoundException.Missing.FILE);
            }
        }
        return new HubException("The Hub answered HTTP " + status + " for file " + filename + " of " + ref.repoId() + where);
    }

    private <T> T withRetries(String what, Attempt<T> attempt) throws HubException {
        for (int retry = 0; ; retry++) {
            try {
                return attempt.run();
            } catch (RetryableFailure failure) {
                if (retry >= settings.maxRetries()) {
                    throw new HubUnavailableException(what + " failed after " + (retry + 1) + " attempts: "
                            + failure.getMessage(), failure.getCause());
                }
                Duration delay = backoff(retry, failure.retryAfter);
                events.retrying(what, delay);
                LOG.log(Level.WARNING, "{0} failed ({1}); retry {2} of {3} in {4} ms",
                        new Object[] {what, failure.getMessage(), retry + 1, settings.maxRetries(), delay.toMillis()});
                sleep(delay, what);
            }
        }
    }

    /** Exponential backoff with jitter (50-100% of the step), or the server's Retry-After; both capped. */
    Duration backoff(int retry, Duration retryAfter) {
        long maxMillis = settings.retryMaxDelay().toMillis();
        if (retryAfter != null) {
            return Duration.ofMillis(Math.min(retryAfter.toMillis(), maxMillis));
        }
        long stepMillis = settings.retryBaseDelay().toMillis() << Math.min(retry, 30);
        long capped = Math.min(Math.max(stepMillis, 0), maxMillis);
        return Duration.ofMillis(capped / 2 + (long) (ThreadLocalRandom.current().nextDouble() * (capped - capped / 2)));
    }

    private static Duration retryAfter(HttpHeaders headers) {
        String value = headers.firstValue("Retry-After").orElse(null);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException e) {
            try {
                Duration until = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException unparsable) {
                return null;
            }
        }
    }

    private static void sleep(Duration delay, String what) throws HubException {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("Interrupted while waiting to retry " + what, e);
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** Relative as huggingface_hub means it: no scheme and no host (a same-site path, as for a renamed repo). */
    private static boolean isRelative(String location) {
        URI uri = URI.create(location.strip());
        return uri.getScheme() == null && uri.getRawAuthority() == null;
    }

    private static URI resolveLocation(URI current, String location) throws HubException {
        if (location == null || location.isBlank()) {
            throw new HubException("Redirect without a Location header from " + redact(current));
        }
        try {
            return current.resolve(URI.create(location.strip()));
        } catch (IllegalArgumentException e) {
            throw new HubException("Redirect from " + redact(current) + " to an invalid Location", e);
        }
    }

    /** scheme://host:port with the default port made explicit, lower-cased. */
    static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        if (port == -1) {
            port = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        return scheme + "://" + host + ":" + port;
    }

    /** A URL fit for logs and messages: without user info and query (a signed CDN URL's query is a credential). */
    static String redact(URI uri) {
        if (uri == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        if (uri.getScheme() != null) {
            out.append(uri.getScheme()).append("://");
        }
        if (uri.getHost() != null) {
            out.append(uri.getHost());
            if (uri.getPort() != -1) {
                out.append(':').append(uri.getPort());
            }
        }
        out.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        if (uri.getRawQuery() != null) {
            out.append("?...");
        }
        return out.toString();
    }

    private static String firstNonBlank(HttpHeaders headers, String name, String fallbackName) {
        String value = headers.firstValue(name).orElse(null);
        if ((value == null || value.isBlank()) && fallbackName != null) {
            value = headers.firstValue(fallbackName).orElse(null);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * A failed TLS handshake in words an operator can act on. Certificates are always checked (the JVM's default
     * trust); a mirror with a private CA or a self-signed certificate needs a trust store, never a switch that turns
     * the check off.
     */
    static String tlsProblem(SSLHandshakeException e, URI uri) {
        String host = uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateException) {
                return "The TLS certificate of " + host + " is not trusted (" + describe(cause) + ") for " + redact(uri)
                        + ". If HF_ENDPOINT is a mirror with a private CA or a self-signed certificate, import that"
                        + " certificate into a trust store and start the JVM with -Djavax.net.ssl.trustStore=<file>"
                        + " -Djavax.net.ssl.trustStorePassword=<password> (JVM_ARGS, or the server's jvm.options)";
            }
        }
        return "TLS handshake with " + host + " failed (" + describe(e) + ") for " + redact(uri);
    }

    private static boolean untrustedCertificate(SSLHandshakeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static String version() {
        String version = HubClient.class.getPackage() == null ? null : HubClient.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    @FunctionalInterface
    private interface Attempt<T> {
        T run() throws HubException;
    }

    /** A failure worth another attempt: network errors, 429, 5xx, a body cut short. Never leaves this class. */
    private static final class RetryableFailure extends HubException {
        private static final long serialVersionUID = 1L;
        private final transient Duration retryAfter;

        RetryableFailure(String message, Throwable cause, Duration retryAfter) {
            super(message, cause, true);
            this.retryAfter = retryAfter;
        }
    }

    /** Bytes that cannot be the file: the whole file is downloaded again. Never leaves this class. */
    private static final class BadContent extends HubException {
        private static final long serialVersionUID = 1L;

        BadContent(String message) {
            super(message);
        }
    }

    /** The temp file being written, and the running hash of what it holds. */
    private static final class Transfer implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final FileMetadata meta;
        private MessageDigest digest;
        long done;
        boolean signedUrlRenewed;

        private Transfer(Path file, FileChannel channel, FileMetadata meta, MessageDigest digest, long done) {
            this.file = file;
            this.channel = channel;
            this.meta = meta;
            this.digest = digest;
            this.done = done;
        }

        static Transfer open(Path file, FileMetadata meta, boolean fresh) throws CacheWriteException {
            FileChannel channel = null;
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                MessageDigest digest = Hashing.digestFor(meta.etag(), meta.sizeBytes());
                long existing = channel.size();
                if (fresh || existing > meta.sizeBytes()) {
                    channel.truncate(0);
                    existing = 0;
                } else if (existing > 0) {
                    // resuming after an earlier prefix: the hash must cover it too
                    existing = FileDigests.update(file, existing, digest);
                }
                channel.position(existing);
                return new Transfer(file, channel, meta, digest, existing);
            } catch (IOException e) {
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw HubCache.writeFailure(file, e);
            }
        }

        void write(byte[] buffer, int length) throws CacheWriteException {
            try {
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, length);
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            } catch (IOException e) {
                throw HubCache.writeFailure(file, e);
            }
            digest.update(buffer, 0, length);
            done += length;
        }

        void restart() throws CacheWriteException {
            try {
                channel.truncate(0);
                channel.position(0);
            } catch (IOException e) {
                throw HubCache.writeFailure(file, e);
            }
            digest = Hashing.digestFor(meta.etag(), meta.sizeBytes());
            done = 0;
        }

        String finishHash() {
            return FileDigests.hex(digest.digest());
        }

        void force() throws CacheWriteException {
            try {
                channel.force(true);
            } catch (IOException e) {
                throw HubCache.writeFailure(file, e);
            }
        }

        @Override
        public void close() throws CacheWriteException {
            try {
                channel.close();
            } catch (IOException e) {
                throw HubCache.writeFailure(file, e);
            }
        }
    }

    /** Reports progress at most once per interval, with the speed over that interval. */
    private static final class Progress {
        private final DownloadListener listener;
        private final String file;
        private final long totalBytes;
        private final long intervalNanos;
        private long lastNanos;
        private long lastBytes;
        /** The transfer's size at the previous update: what arrived since is the difference. */
        private long seenBytes;

        Progress(DownloadListener listener, String file, long totalBytes, Duration interval, long startBytes) {
            this.listener = listener;
            this.file = file;
            this.totalBytes = totalBytes;
            this.intervalNanos = interval.toNanos();
            this.lastNanos = System.nanoTime();
            this.lastBytes = startBytes;
            this.seenBytes = startBytes;
        }

        void update(long doneBytes) {
            // A transfer restarted from zero (a server refusing to resume) only moves the mark back.
            listener.bytesReceived(Math.max(0, doneBytes - seenBytes));
            seenBytes = doneBytes;
            long now = System.nanoTime();
            long elapsedNanos = now - lastNanos;
            if (elapsedNanos < intervalNanos) {
                return;
            }
            double bytesPerSecond = Math.max(0, doneBytes - lastBytes) * 1e9 / Math.max(elapsedNanos, 1);
            lastNanos = now;
            lastBytes = doneBytes;
            try {
                listener.progress(file, doneBytes, totalBytes, bytesPerSecond);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "A download listener failed; the download goes on", e);
            }
        }
    }
}
