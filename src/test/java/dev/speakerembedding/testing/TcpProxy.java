package dev.speakerembedding.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on a loopback port of its own in front of a real server (the machine's PostgreSQL), which a test
 * uses to make that server go away and come back without touching it: {@link #cut} resets every live connection
 * and refuses new ones (what a crashed database host or a restarted pod looks like to the client),
 * {@link #blackhole} lets every connection, live or new, stop answering without a reset (a network partition or a
 * dropped route, the case that hangs a client with no timeouts), and {@link #resume} forwards again on the same
 * port.
 *
 * <p>Plain sockets, two threads per connection. Resets are real RSTs ({@code SO_LINGER} 0), so the client's driver
 * sees "connection reset" at once rather than an orderly end of stream.
 */
public final class TcpProxy implements AutoCloseable {

    private enum Mode { FORWARD, REFUSE, BLACKHOLE }

    private final InetSocketAddress target;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    /** Connections accepted while blackholed: held open, never read, never answered. */
    private final List<Socket> held = new ArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile Mode mode = Mode.FORWARD;
    private ServerSocket listener;
    private Thread acceptor;

    private TcpProxy(InetSocketAddress target, int port) {
        this.target = target;
        this.port = port;
    }

    /** A proxy to {@code targetHost:targetPort} on a free loopback port, forwarding. */
    public static TcpProxy start(String targetHost, int targetPort) throws IOException {
        TcpProxy proxy = new TcpProxy(new InetSocketAddress(targetHost, targetPort), LibertyServer.freePort());
        proxy.listen();
        return proxy;
    }

    /** The loopback port clients connect to; the same for the proxy's whole life. */
    public int port() {
        return port;
    }

    /** Connections accepted so far (forwarded or held). */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections being forwarded now. */
    public int liveConnections() {
        return links.size();
    }

    /**
     * The server goes away: every live connection is reset (both its sides) and the port refuses new ones
     * (nothing listens on it).
     */
    public synchronized void cut() throws IOException {
        mode = Mode.REFUSE;
        closeListener();
        resetAll();
    }

    /**
     * The server stops answering: live connections stay open but nothing more passes either way, and new
     * connections are accepted and then never answered.
     */
    public synchronized void blackhole() {
        mode = Mode.BLACKHOLE;
    }

    /**
     * The server comes back on the same port. Connections left from a blackhole are reset first (the route that
     * came back has no state for them, as after a failover), so only new connections are forwarded.
     */
    public synchronized void resume() throws IOException {
        resetAll();
        mode = Mode.FORWARD;
        if (listener == null) {
            listen();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        mode = Mode.REFUSE;
        closeListener();
        resetAll();
    }

    private void listen() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        listener = s;
        acceptor = new Thread(() -> acceptLoop(s), "tcp-proxy-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void closeListener() throws IOException {
        if (listener != null) {
            listener.close();
            listener = null;
        }
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // closed by cut() or close()
            }
            accepted.incrementAndGet();
            synchronized (this) {
                if (mode == Mode.BLACKHOLE) {
                    held.add(client);
                    continue;
                }
                if (mode == Mode.REFUSE) {
                    reset(client);
                    continue;
                }
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5000);
                Link link = new Link(client, upstream);
                links.add(link);
                link.start();
            } catch (IOException e) {
                reset(client);
            }
        }
    }

    private void resetAll() {
        for (Link link : links) {
            link.reset();
        }
        links.clear();
        for (Socket s : held) {
            reset(s);
        }
        held.clear();
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already closed: nothing to reset
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all that was asked for
        }
    }

    /** One forwarded connection: a pump each way. */
    private final class Link {
        private final Socket client;
        private final Socket upstream;
        private final AtomicInteger ended = new AtomicInteger();

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            pump(client, upstream, "up");
            pump(upstream, client, "down");
        }

        private void pump(Socket from, Socket to, String direction) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try (InputStream in = from.getInputStream()) {
                    OutputStream out = to.getOutputStream();
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        if (mode == Mode.BLACKHOLE) {
                            // Swallowed: the peer waits for an answer that never comes, as behind a dead route.
                            continue;
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                    // An orderly end on one side is passed on as an orderly end; both ended, the link is done.
                    to.shutdownOutput();
                    if (ended.incrementAndGet() == 2) {
                        links.remove(this);
                        from.close();
                        to.close();
                    }
                } catch (IOException e) {
                    reset();
                }
            }, "tcp-proxy-" + port + "-" + direction);
            t.setDaemon(true);
            t.start();
        }

        void reset() {
            links.remove(this);
            TcpProxy.reset(client);
            TcpProxy.reset(upstream);
        }
    }
}
