package dev.speakerembedding.reliability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.speakerembedding.testing.hubstandin.HubStandIn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A forwarding proxy in front of a {@link HubStandIn}: one listener for the Hub (on 127.0.0.1, plain HTTP or HTTPS)
 * and one for its CDN (on 127.0.0.2, another host, so the token rule is exercised), with the stand-in's CDN
 * redirects rewritten to go through it. It adds the faults the stand-in cannot make:
 *
 * <ul>
 *   <li>{@link BodyFault#TRUNCATE}: a 200/206 body cut short <em>with a matching Content-Length</em>, so the
 *       transfer itself looks complete and only the size/hash check can catch it;
 *   <li>{@link BodyFault#CUT}: the connection dropped part-way through a body (Content-Length announced in full);
 *   <li>{@link BodyFault#CORRUPT}: one byte of the body flipped (the right length, the wrong hash);
 *   <li>{@link #delayNextAnswers}: the answer's headers come late (longer than the client's read timeout);
 *   <li>{@link #dropNext}: the connection is closed with no answer at all.
 * </ul>
 *
 * Body faults target the requests whose path contains a given text (a file name, or an LFS file's sha256 for the
 * CDN), so a test knows which download each one hits.
 *
 * Every request is logged with its arrival time, so tests can measure the client's retry spacing.
 */
final class HubProxy implements AutoCloseable {

    static final String HUB = "hub";
    static final String CDN = "cdn";
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "transfer-encoding",
            "keep-alive", "date", "host", "upgrade", "expect");

    /** One request as the proxy saw it. */
    record Logged(long nanos, String listener, String method, String path, boolean authorization, String range,
                  int status) {
    }

    private final HubStandIn upstream;
    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor;
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Logged> log = Collections.synchronizedList(new ArrayList<>());

    /** What can go wrong with a file body. */
    enum BodyFault { TRUNCATE, CUT, CORRUPT }

    private record PendingFault(BodyFault kind, long bytes, String pathContains) {
    }

    private final java.util.Deque<PendingFault> bodyFaults = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final java.util.Map<BodyFault, AtomicInteger> applied = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicInteger delayNext = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private final AtomicInteger dropNext = new AtomicInteger();
    private final java.util.Map<String, String> overrides = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicInteger delayed = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();

    private HubProxy(HubStandIn upstream, SSLContext tls) throws IOException {
        this.upstream = upstream;
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "hub-proxy");
            t.setDaemon(true);
            return t;
        });
        InetSocketAddress hubAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls != null) {
            HttpsServer https = HttpsServer.create(hubAddress, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            hub = https;
        } else {
            hub = HttpServer.create(hubAddress, 64);
        }
        HttpServer cdnServer;
        try {
            cdnServer = HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 0), 64);
        } catch (IOException e) {
            cdnServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        }
        cdn = cdnServer;
        hub.createContext("/", exchange -> handle(HUB, exchange));
        cdn.createContext("/", exchange -> handle(CDN, exchange));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    static HubProxy http(HubStandIn upstream) throws IOException {
        return new HubProxy(upstream, null);
    }

    /** The Hub listener speaks TLS with {@code tls}'s certificate; the CDN listener stays plain HTTP. */
    static HubProxy https(HubStandIn upstream, SSLContext tls) throws IOException {
        return new HubProxy(upstream, tls);
    }

    /** The value for HF_ENDPOINT. */
    URI endpoint() {
        String scheme = hub instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + hub.getAddress().getPort());
    }

    URI cdnEndpoint() {
        return URI.create("http://" + cdn.getAddress().getAddress().getHostAddress() + ":" + cdn.getAddress().getPort());
    }

    /**
     * Queues a fault for the next 200/206 body whose request path contains {@code pathContains}: faults are applied
     * in the order queued, one per body. {@code bytes}: what TRUNCATE keeps, or where CUT drops the connection.
     */
    void nextBody(BodyFault kind, long bytes, String pathContains) {
        bodyFaults.add(new PendingFault(kind, bytes, pathContains));
    }

    int applied(BodyFault kind) {
        return applied.getOrDefault(kind, new AtomicInteger()).get();
    }

    int pendingBodyFaults() {
        return bodyFaults.size();
    }

    void delayNextAnswers(int count, Duration by) {
        delay = by;
        delayNext.set(count);
    }

    void dropNext(int count) {
        dropNext.set(count);
    }

    /** Every answer from now on carries {@code value} for header {@code name} instead of the Hub's (a hostile Hub). */
    void overrideHeader(String name, String value) {
        overrides.put(name.toLowerCase(Locale.ROOT), value);
    }

    int delayedCount() {
        return delayed.get();
    }

    int droppedCount() {
        return dropped.get();
    }

    List<Logged> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    void clearLog() {
        log.clear();
    }

    private void handle(String listener, HttpExchange exchange) {
        String range = exchange.getRequestHeaders().getFirst("Range");
        boolean authorization = exchange.getRequestHeaders().containsKey("Authorization");
        String path = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        int status = -1;
        try (exchange) {
            if (dropNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                dropped.incrementAndGet();
                log.add(new Logged(System.nanoTime(), listener, exchange.getRequestMethod(), path, authorization, range, 0));
                return; // closing without a status line: the client sees the connection end with no answer
            }
            long arrived = System.nanoTime();
            if (delayNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                delayed.incrementAndGet();
                Thread.sleep(delay.toMillis());
            }
            URI base = listener.equals(HUB) ? upstream.endpoint() : upstream.cdnEndpoint();
            HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(60))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(v -> forward.header(name, v));
                }
            });
            HttpResponse<InputStream> answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofInputStream());
            status = answer.statusCode();
            log.add(new Logged(arrived, listener, exchange.getRequestMethod(), path, authorization, range, status));
            answer.headers().map().forEach((name, values) -> {
                if (HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) || name.startsWith(":")) {
                    return;
                }
                String override = overrides.get(name.toLowerCase(Locale.ROOT));
                for (String v : override == null ? values : List.of(override)) {
                    if (name.equalsIgnoreCase("Location")) {
                        v = v.replace(upstream.cdnEndpoint().toString(), cdnEndpoint().toString());
                    }
                    exchange.getResponseHeaders().add(name, v);
                }
            });
            long length = answer.headers().firstValueAsLong("Content-Length").orElse(-1);
            try (InputStream body = answer.body()) {
                if (exchange.getRequestMethod().equals("HEAD") || length == 0) {
                    if (length >= 0) {
                        exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
                    }
                    exchange.sendResponseHeaders(status, -1);
                    return;
                }
                PendingFault fault = null;
                if ((status == 200 || status == 206) && length > 0) {
                    for (PendingFault f : bodyFaults) {
                        if (path.contains(f.pathContains()) && bodyFaults.remove(f)) {
                            fault = f;
                            applied.computeIfAbsent(f.kind(), k -> new AtomicInteger()).incrementAndGet();
                            break;
                        }
                    }
                }
                long send = fault != null && fault.kind() == BodyFault.TRUNCATE ? Math.min(length, fault.bytes()) : length;
                long stopAt = fault != null && fault.kind() == BodyFault.CUT ? Math.min(length, fault.bytes()) : send;
                long flipAt = fault != null && fault.kind() == BodyFault.CORRUPT ? length / 2 : -1;
                exchange.sendResponseHeaders(status, send < 0 ? 0 : send);
                OutputStream out = exchange.getResponseBody();
                byte[] buffer = new byte[1 << 16];
                long done = 0;
                long left = stopAt < 0 ? Long.MAX_VALUE : stopAt;
                for (int n; left > 0 && (n = body.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; ) {
                    if (flipAt >= done && flipAt < done + n) {
                        buffer[(int) (flipAt - done)] ^= 0x5a;
                    }
                    out.write(buffer, 0, n);
                    left -= n;
                    done += n;
                }
                if (stopAt < send) {
                    out.flush();
                    // the announced length is not reached: closing now drops the connection mid-body
                    throw new IOException("cut on purpose after " + done + " bytes");
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            if (status == -1) {
                log.add(new Logged(System.nanoTime(), listener, exchange.getRequestMethod(), path, authorization, range, -1));
            }
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }
}
