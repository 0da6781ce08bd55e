package dev.speakerembedding.testing.hubstandin;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A stand-in for the Hugging Face Hub: a real HTTP server on 127.0.0.1 answering the resolve endpoint with
 * the Hub's headers, plus a second server on another port playing the CDN that LFS files are redirected to.
 *
 * <ul>
 *   <li>small files: {@code 200} with {@code ETag: "<git blob sha1>"} and {@code X-Repo-Commit};
 *   <li>LFS files (by suffix or size): {@code 302} to the CDN with {@code X-Linked-Etag: "<sha256>"},
 *       {@code X-Linked-Size} and {@code X-Repo-Commit};
 *   <li>{@code Range} requests get {@code 206} with {@code Content-Range};
 *   <li>gated repos: {@code 401}/{@code 403} with {@code X-Error-Code: GatedRepo} without the valid token;
 *       unknown repo, revision or file: {@code X-Error-Code: RepoNotFound / RevisionNotFound / EntryNotFound};
 *   <li>faults settable at runtime: failing statuses, connections cut mid-body, flipped bytes, slow bodies, stop.
 * </ul>
 *
 * <p>{@code GET /api/models/{repo_id}/revision/{revision}} lists a repository's files as the Hub's model info does.
 *
 * <p>Every request is recorded (server, method, path, Host, headers including Authorization) for assertions.
 * Run {@link #main} to serve directories from a separate process.
 */
public final class HubStandIn implements AutoCloseable {
    public static final String HUB = "hub";
    public static final String CDN = "cdn";

    private static final Set<String> DEFAULT_LFS_SUFFIXES = Set.of(".ckpt", ".bin", ".pt", ".pth", ".onnx",
            ".safetensors", ".h5", ".msgpack");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    private static final String POINTER_TEMPLATE = "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n";

    /** One request as the stand-in saw it. Header names are lower-case. */
    public record RecordedRequest(String server, String method, String path, String hostPort,
            Map<String, List<String>> headers, int status) {
        public Optional<String> header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
        }

        public boolean hasAuthorization() {
            return header("Authorization").isPresent();
        }
    }

    /** A file of a repo, with the hashes the Hub names it by. */
    public record RepoFile(String name, byte[] content, boolean lfs, String gitSha1, String sha256) {
        /** The etag huggingface_hub derives: sha256 for LFS files, git blob sha1 otherwise. */
        public String etag() {
            return lfs ? sha256 : gitSha1;
        }

        public long sizeBytes() {
            return content.length;
        }
    }

    private record Repo(String repoId, String commit, Map<String, RepoFile> files, boolean gated) {
    }

    private record Fault(int status, Map<String, String> headers) {
    }

    /** The exchange being answered on this thread (HttpExchange attributes are shared by the whole context). */
    private static final class Call {
        final String server;
        boolean recorded;

        Call(String server) {
            this.server = server;
        }
    }

    private final ThreadLocal<Call> currentCall = new ThreadLocal<>();

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    // every commit ever added, as the Hub keeps a repo's history: repoId + "@" + commit
    private final Map<String, Repo> commits = new ConcurrentHashMap<>();
    private final Map<String, String> renamedRepos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> cdnBlobs = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());

    private volatile String validToken;
    private volatile long lfsThresholdBytes = 10L * 1024 * 1024;
    private volatile Set<String> lfsSuffixes = DEFAULT_LFS_SUFFIXES;

    private final AtomicInteger failNext = new AtomicInteger();
    private volatile Fault failure = new Fault(500, Map.of());
    private final AtomicInteger cutNext = new AtomicInteger();
    private volatile long cutAfterBytes;
    private final AtomicInteger corruptNext = new AtomicInteger();
    private volatile long chunkDelayNanos;
    private volatile int chunkBytes = 16 * 1024;
    private volatile boolean ignoreRange;
    private volatile boolean stopped;

    private HubStandIn(int hubPort, boolean cdnOnOtherHost) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "hub-stand-in");
            thread.setDaemon(true);
            return thread;
        });
        hub = HttpServer.create(new InetSocketAddress(loopback, hubPort), 64);
        cdn = cdnOnOtherHost ? createOnOtherLoopbackHost() : HttpServer.create(new InetSocketAddress(loopback, 0), 64);
        hub.createContext("/", exchange -> handle(HUB, exchange));
        cdn.createContext("/", exchange -> handle(CDN, exchange));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    /**
     * Starts the Hub on 127.0.0.1 and the CDN on 127.0.0.2 (another host name, as the real CDN is; 127.0.0.1 on
     * systems that do not route all of 127.0.0.0/8 to loopback), both on free ports.
     */
    public static HubStandIn start() throws IOException {
        return new HubStandIn(0, true);
    }

    /** As {@link #start()} with the Hub on {@code port} (0 for a free one). */
    public static HubStandIn start(int port) throws IOException {
        return new HubStandIn(port, true);
    }

    /** Both servers on 127.0.0.1, on two ports: a CDN that differs from the Hub by its port only. */
    public static HubStandIn startWithCdnOnSameHost() throws IOException {
        return new HubStandIn(0, false);
    }

    /** The value for HF_ENDPOINT / {@code HubSettings.endpoint}. */
    public URI endpoint() {
        return uri(hub);
    }

    public URI cdnEndpoint() {
        return uri(cdn);
    }

    private static URI uri(HttpServer server) {
        return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort());
    }

    private static HttpServer createOnOtherLoopbackHost() throws IOException {
        try {
            return HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 0), 64);
        } catch (IOException e) {
            return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        }
    }

    /** Serves the regular files under {@code dir} (recursively) as repo {@code repoId}; returns the commit. */
    public String addRepo(String repoId, String commit, Path dir, boolean gated) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.filter(Files::isRegularFile).collect(Collectors.toList())) {
                String name = dir.relativize(path).toString().replace('\\', '/');
                files.put(name, Files.readAllBytes(path));
            }
        }
        return addRepo(repoId, commit, files, gated);
    }

    /**
     * Serves {@code files} (name to content) as repo {@code repoId}, replacing an earlier one of that id.
     *
     * @param commit 40 hex digits, or null to derive one from the content
     * @return the commit
     */
    public String addRepo(String repoId, String commit, Map<String, byte[]> files, boolean gated) {
        Map<String, RepoFile> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
            byte[] content = file.getValue().clone();
            String sha256 = sha256(content);
            boolean lfs = isLfs(file.getKey(), content.length);
            entries.put(file.getKey(), new RepoFile(file.getKey(), content, lfs, gitBlobSha1(content), sha256));
            if (lfs) {
                cdnBlobs.put(sha256, content);
            }
        }
        String repoCommit = commit != null ? commit : deriveCommit(repoId, entries);
        if (!repoCommit.matches("[0-9a-f]{40}")) {
            throw new IllegalArgumentException("commit must be 40 lower-case hex digits: " + repoCommit);
        }
        Repo repo = new Repo(repoId, repoCommit, Collections.unmodifiableMap(entries), gated);
        commits.put(repoId + "@" + repoCommit, repo);
        repos.put(repoId, repo);
        return repoCommit;
    }

    /** Makes requests for {@code oldRepoId} answer a relative redirect to {@code newRepoId}, as the Hub does for renamed repos. */
    public void renameRepo(String oldRepoId, String newRepoId) {
        renamedRepos.put(oldRepoId, newRepoId);
    }

    /** The token gated repos accept ({@code Authorization: Bearer <token>}). */
    public void setValidToken(String token) {
        validToken = token;
    }

    /** Files at least this big are LFS files (besides the LFS suffixes); applies to repos added afterwards. */
    public void setLfsThresholdBytes(long thresholdBytes) {
        lfsThresholdBytes = thresholdBytes;
    }

    /** File name suffixes that make a file an LFS file; applies to repos added afterwards. */
    public void setLfsSuffixes(Set<String> suffixes) {
        lfsSuffixes = Set.copyOf(suffixes);
    }

    public RepoFile file(String repoId, String name) {
        Repo repo = repos.get(repoId);
        RepoFile file = repo == null ? null : repo.files().get(name);
        if (file == null) {
            throw new IllegalArgumentException("No file " + name + " in stand-in repo " + repoId);
        }
        return file;
    }

    public String commit(String repoId) {
        return repos.get(repoId).commit();
    }

    /** The next {@code count} requests (to either server) are answered with {@code status}. */
    public void failNext(int count, int status) {
        failNext(count, status, Map.of());
    }

    /** The next {@code count} requests are answered with {@code status} and {@code headers} (e.g. Retry-After). */
    public void failNext(int count, int status, Map<String, String> headers) {
        failure = new Fault(status, Map.copyOf(headers));
        failNext.set(count);
    }

    /** The next {@code count} requests get {@code 429 Too Many Requests} with {@code Retry-After: seconds}. */
    public void failNextWith429(int count, int retryAfterSeconds) {
        failNext(count, 429, Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
    }

    /** The next {@code count} file bodies are cut (connection closed) after {@code afterBytes} bytes. */
    public void cutNextBodies(int count, long afterBytes) {
        cutAfterBytes = afterBytes;
        cutNext.set(count);
    }

    /** The next {@code count} file bodies have one byte flipped. */
    public void corruptNextBodies(int count) {
        corruptNext.set(count);
    }

    /** Bodies are sent in chunks of {@code chunkBytes}, each after a pause of {@code delayPerChunk}. */
    public void setSlowdown(Duration delayPerChunk, int chunkBytes) {
        this.chunkBytes = Math.max(1, chunkBytes);
        this.chunkDelayNanos = delayPerChunk.toNanos();
    }

    /** Answers Range requests with the whole file (200), as a server without range support does. */
    public void setIgnoreRange(boolean ignore) {
        ignoreRange = ignore;
    }

    public void clearFaults() {
        failNext.set(0);
        cutNext.set(0);
        corruptNext.set(0);
        chunkDelayNanos = 0;
        ignoreRange = false;
    }

    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public List<RecordedRequest> requests(String server) {
        return requests().stream().filter(r -> r.server().equals(server)).collect(Collectors.toList());
    }

    public int requestCount() {
        return requests.size();
    }

    public void clearRequests() {
        requests.clear();
    }

    /** Closes both servers: connections are refused from now on, as with the Hub down. */
    public void stop() {
        if (!stopped) {
            stopped = true;
            hub.stop(0);
            cdn.stop(0);
            executor.shutdownNow();
        }
    }

    public boolean isStopped() {
        return stopped;
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(String server, HttpExchange exchange) {
        currentCall.set(new Call(server));
        try (exchange) {
            respond(server, exchange);
        } catch (IOException | RuntimeException e) {
            // The client went away; a request that got no answer at all is recorded with status -1.
            record(exchange, -1);
        } finally {
            currentCall.remove();
        }
    }

    private int respond(String server, HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return sendEmpty(exchange, 405, Map.of());
        }
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            Fault fault = failure;
            return sendText(exchange, fault.status(), fault.headers(), "injected failure");
        }
        return server.equals(HUB) ? respondHub(exchange) : respondCdn(exchange);
    }

    private int respondHub(HttpExchange exchange) throws IOException {
        String rawPath = exchange.getRequestURI().getRawPath();
        if (rawPath.startsWith("/api/models/")) {
            return respondModelInfo(exchange, rawPath);
        }
        List<String> segments = List.of(rawPath.substring(1).split("/", -1));
        int resolveAt = segments.indexOf("resolve");
        if (resolveAt < 1 || resolveAt > 2 || segments.size() < resolveAt + 3) {
            return sendText(exchange, 404, Map.of(), "not a resolve URL");
        }
        String repoId = String.join("/", segments.subList(0, resolveAt).stream().map(HubStandIn::decode)
                .collect(Collectors.toList()));
        String rawRevision = segments.get(resolveAt + 1);
        String revision = decode(rawRevision);
        String rawFile = String.join("/", segments.subList(resolveAt + 2, segments.size()));
        String filename = String.join("/", segments.subList(resolveAt + 2, segments.size()).stream()
                .map(HubStandIn::decode).collect(Collectors.toList()));
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");

        String newName = renamedRepos.get(repoId);
        if (newName != null) {
            return sendEmpty(exchange, 307, Map.of("Location", "/" + newName + "/resolve/" + rawRevision + "/" + rawFile));
        }
        Repo repo = repos.get(repoId);
        if (repo == null) {
            // The Hub does not tell a private repo from a missing one; without a token it answers 401.
            return sendText(exchange, authorization == null ? 401 : 404,
                    errorHeaders("RepoNotFound", "Repository not found"), "Repository not found");
        }
        if (repo.gated() && !("Bearer " + validToken).equals(authorization)) {
            return sendText(exchange, authorization == null ? 401 : 403,
                    errorHeaders("GatedRepo", "Access to model " + repoId + " is restricted."),
                    "Access to model " + repoId + " is restricted.");
        }
        if (!revision.equals("main")) {
            repo = commits.get(repoId + "@" + revision);
            if (repo == null) {
                return sendText(exchange, 404, errorHeaders("RevisionNotFound", "Invalid rev id: " + revision),
                        "Invalid rev id");
            }
        }
        RepoFile file = repo.files().get(filename);
        if (file == null) {
            Map<String, String> headers = new LinkedHashMap<>(errorHeaders("EntryNotFound", "Entry not found"));
            headers.put("X-Repo-Commit", repo.commit());
            return sendText(exchange, 404, headers, "Entry not found");
        }
        if (file.lfs()) {
            String pointer = String.format(Locale.ROOT, POINTER_TEMPLATE, file.sha256(), file.sizeBytes());
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Location", cdnEndpoint() + "/repos/" + repoId + "/" + file.sha256()
                    + "?response-content-disposition=attachment&Expires=4102444800&Signature=stand-in");
            headers.put("X-Repo-Commit", repo.commit());
            headers.put("X-Linked-Etag", "\"" + file.sha256() + "\"");
            headers.put("X-Linked-Size", Long.toString(file.sizeBytes()));
            // The Hub's own ETag on a redirect is the pointer file's: the client must prefer X-Linked-Etag.
            headers.put("ETag", "\"" + gitBlobSha1(pointer.getBytes(StandardCharsets.UTF_8)) + "\"");
            return sendText(exchange, 302, headers, "Found. Redirecting to " + headers.get("Location"));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Repo-Commit", repo.commit());
        headers.put("ETag", "\"" + file.gitSha1() + "\"");
        return sendFile(exchange, file.content(), headers);
    }

    /**
     * huggingface_hub's model_info: {@code GET /api/models/{repo_id}/revision/{revision}} answers the commit
     * ({@code sha}) and every file ({@code siblings[].rfilename}) as JSON, with the resolve endpoint's error codes.
     * Unlike the real Hub, which lists a gated repository's files to anyone, a gated stand-in repository needs the
     * token here too (it plays a private one).
     */
    private int respondModelInfo(HttpExchange exchange, String rawPath) throws IOException {
        List<String> segments = List.of(rawPath.substring("/api/models/".length()).split("/", -1));
        int revisionAt = segments.indexOf("revision");
        if (!exchange.getRequestMethod().equals("GET") || revisionAt < 1 || revisionAt > 2
                || segments.size() != revisionAt + 2) {
            return sendText(exchange, 404, Map.of(), "not a model info URL");
        }
        String repoId = String.join("/", segments.subList(0, revisionAt).stream().map(HubStandIn::decode)
                .collect(Collectors.toList()));
        String rawRevision = segments.get(revisionAt + 1);
        String revision = decode(rawRevision);
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String newName = renamedRepos.get(repoId);
        if (newName != null) {
            return sendEmpty(exchange, 307, Map.of("Location", "/api/models/" + newName + "/revision/" + rawRevision));
        }
        Repo repo = repos.get(repoId);
        if (repo == null) {
            return sendText(exchange, authorization == null ? 401 : 404,
                    errorHeaders("RepoNotFound", "Repository not found"), "{\"error\":\"Repository not found\"}");
        }
        if (repo.gated() && !("Bearer " + validToken).equals(authorization)) {
            return sendText(exchange, authorization == null ? 401 : 403,
                    errorHeaders("GatedRepo", "Access to model " + repoId + " is restricted."),
                    "{\"error\":\"Access to model " + repoId + " is restricted.\"}");
        }
        if (!revision.equals("main")) {
            repo = commits.get(repoId + "@" + revision);
            if (repo == null) {
                return sendText(exchange, 404, errorHeaders("RevisionNotFound", "Invalid rev id: " + revision),
                        "{\"error\":\"Invalid rev id: " + revision + "\"}");
            }
        }
        StringBuilder json = new StringBuilder("{\"_id\":\"stand-in\",\"id\":").append(jsonString(repoId))
                .append(",\"modelId\":").append(jsonString(repoId))
                .append(",\"private\":false,\"gated\":").append(repo.gated() ? "\"auto\"" : "false")
                .append(",\"tags\":[\"stand-in\"],\"sha\":\"").append(repo.commit()).append("\",\"siblings\":[");
        boolean first = true;
        for (String name : repo.files().keySet()) {
            json.append(first ? "" : ",").append("{\"rfilename\":").append(jsonString(name)).append('}');
            first = false;
        }
        json.append("],\"spaces\":[],\"createdAt\":\"2024-01-01T00:00:00.000Z\"}");
        return sendJson(exchange, json.toString());
    }

    private int sendJson(HttpExchange exchange, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        record(exchange, 200);
        exchange.sendResponseHeaders(200, body.length);
        OutputStream out = exchange.getResponseBody();
        out.write(body);
        return 200;
    }

    private static String jsonString(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private int respondCdn(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        String sha256 = path.substring(path.lastIndexOf('/') + 1);
        byte[] content = path.startsWith("/repos/") ? cdnBlobs.get(sha256) : null;
        if (content == null) {
            return sendText(exchange, 404, Map.of(), "NoSuchKey");
        }
        return sendFile(exchange, content, Map.of("ETag", "\"" + sha256 + "\""));
    }

    private int sendFile(HttpExchange exchange, byte[] content, Map<String, String> headers) throws IOException {
        Headers response = exchange.getResponseHeaders();
        headers.forEach(response::add);
        response.add("Accept-Ranges", "bytes");
        response.add("Content-Type", "application/octet-stream");
        int status = 200;
        int from = 0;
        int to = content.length;
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange) {
            Matcher matcher = RANGE.matcher(range.strip());
            if (matcher.matches()) {
                long start = Long.parseLong(matcher.group(1));
                long end = matcher.group(2).isEmpty() ? content.length - 1L : Long.parseLong(matcher.group(2));
                if (start >= content.length) {
                    response.add("Content-Range", "bytes */" + content.length);
                    return sendEmpty(exchange, 416, Map.of());
                }
                status = 206;
                from = (int) start;
                to = (int) Math.min(end + 1, content.length);
                response.add("Content-Range", "bytes " + from + "-" + (to - 1) + "/" + content.length);
            }
        }
        int length = to - from;
        if (exchange.getRequestMethod().equals("HEAD")) {
            response.add("Content-Length", Integer.toString(length));
            record(exchange, status);
            exchange.sendResponseHeaders(status, -1);
            return status;
        }
        byte[] body = Arrays.copyOfRange(content, from, to);
        if (corruptNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0 && body.length > 0) {
            body[body.length / 2] ^= (byte) 0xff;
        }
        long sendBytes = body.length;
        if (cutNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            sendBytes = Math.min(cutAfterBytes, body.length);
        }
        record(exchange, status);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        OutputStream out = exchange.getResponseBody();
        int chunk = chunkBytes;
        for (int offset = 0; offset < sendBytes; offset += chunk) {
            pause();
            out.write(body, offset, (int) Math.min(chunk, sendBytes - offset));
            out.flush();
        }
        if (sendBytes < body.length) {
            // Closing with bytes missing from the announced Content-Length drops the connection mid-body.
            exchange.close();
        }
        return status;
    }

    private void pause() {
        long delay = chunkDelayNanos;
        if (delay > 0) {
            try {
                Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Map<String, String> errorHeaders(String code, String message) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Error-Code", code);
        headers.put("X-Error-Message", message);
        return headers;
    }

    private int sendText(HttpExchange exchange, int status, Map<String, String> headers, String text)
            throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        headers.forEach(exchange.getResponseHeaders()::add);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        record(exchange, status);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
            exchange.sendResponseHeaders(status, -1);
            return status;
        }
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        return status;
    }

    private int sendEmpty(HttpExchange exchange, int status, Map<String, String> headers) throws IOException {
        headers.forEach(exchange.getResponseHeaders()::add);
        record(exchange, status);
        exchange.sendResponseHeaders(status, -1);
        return status;
    }

    /** Records the request once, before its answer leaves, so a test never looks before the record lands. */
    private void record(HttpExchange exchange, int status) {
        Call call = currentCall.get();
        if (call.recorded) {
            return;
        }
        call.recorded = true;
        String server = call.server;
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        String path = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        String host = exchange.getRequestHeaders().getFirst("Host");
        requests.add(new RecordedRequest(server, exchange.getRequestMethod(), path, host, Map.copyOf(headers), status));
    }

    private boolean isLfs(String name, int sizeBytes) {
        return sizeBytes >= lfsThresholdBytes || lfsSuffixes.stream().anyMatch(name::endsWith);
    }

    private static String decode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%' && i + 2 < segment.length()) {
                out.write(Integer.parseInt(segment.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String deriveCommit(String repoId, Map<String, RepoFile> files) {
        StringBuilder text = new StringBuilder(repoId);
        files.values().forEach(f -> text.append('\n').append(f.name()).append(' ').append(f.etag()));
        return hex(digest("SHA-1", text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** git's blob id: {@code sha1("blob " + size + "\0" + content)}, the etag of a non-LFS file on the Hub. */
    public static String gitBlobSha1(byte[] content) {
        byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + content.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(content, 0, all, header.length, content.length);
        return hex(digest("SHA-1", all));
    }

    public static String sha256(byte[] content) {
        return hex(digest("SHA-256", content));
    }

    private static byte[] digest(String algorithm, byte[] content) {
        try {
            return MessageDigest.getInstance(algorithm).digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Serves directories from the command line until killed:
     * {@code --repo org/name=<dir> [--repo ...] [--commit <40hex>] [--port N] [--gated] [--token T]}.
     * Prints {@code HUB_STANDIN_ENDPOINT=<url>} on the first line of standard output once it listens.
     */
    public static void main(String[] args) throws Exception {
        Map<String, Path> repoDirs = new LinkedHashMap<>();
        String commit = null;
        int port = 0;
        boolean gated = false;
        String token = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repo" -> {
                    String value = args[++i];
                    int eq = value.indexOf('=');
                    if (eq < 0) {
                        throw new IllegalArgumentException("--repo expects org/name=<dir>, got " + value);
                    }
                    repoDirs.put(value.substring(0, eq), Path.of(value.substring(eq + 1)));
                }
                case "--commit" -> commit = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--gated" -> gated = true;
                case "--token" -> token = args[++i];
                default -> throw new IllegalArgumentException("Unknown argument " + args[i] + "; usage: --repo org/name=<dir>"
                        + " [--commit <40hex>] [--port N] [--gated] [--token T]");
            }
        }
        if (repoDirs.isEmpty()) {
            throw new IllegalArgumentException("At least one --repo org/name=<dir> is required");
        }
        HubStandIn standIn = start(port);
        standIn.setValidToken(token);
        for (Map.Entry<String, Path> repo : repoDirs.entrySet()) {
            try {
                standIn.addRepo(repo.getKey(), commit, repo.getValue(), gated);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + repo.getValue(), e);
            }
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            standIn.close();
            stopped.countDown();
        }));
        System.out.println("HUB_STANDIN_ENDPOINT=" + standIn.endpoint());
        System.out.flush();
        stopped.await();
    }
}
