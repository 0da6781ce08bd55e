package dev.speakerembedding.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outage proxy itself, in front of an echo server: forwards, cuts with a reset, blackholes, comes back. */
class TcpProxyTest {

    private ServerSocket echo;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread pump = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the proxy reset it: that is what the tests do
                        }
                    });
                    pump.setDaemon(true);
                    pump.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stopEcho() throws IOException {
        echo.close();
    }

    private static Socket connect(TcpProxy proxy) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(2000);
        return s;
    }

    /**
     * Nothing serves the port any more: a new connection is refused, or, when the kernel completes it anyway (a
     * connection racing the listener's close, or a TCP self-connect on a free ephemeral port, which Linux allows), it
     * carries nothing and ends at once. Either way a client sees the server gone, which is what the proxy promises.
     */
    private static void assertRefusedOrReset(TcpProxy proxy) throws IOException {
        Socket s;
        try {
            s = connect(proxy);
        } catch (ConnectException refused) {
            return;
        }
        try (s) {
            s.getOutputStream().write(1);
            s.getOutputStream().flush();
            int read = s.getInputStream().read();
            assertTrue(read == -1 || (s.getLocalPort() == s.getPort() && read == 1),
                    "a connection to the cut proxy carried data (read " + read + ")");
        } catch (SocketTimeoutException e) {
            throw new AssertionError("a connection to the cut proxy was held open, not refused or reset", e);
        } catch (SocketException reset) {
            // reset at once: refused in effect
        }
    }

    private static int roundTrip(Socket s, int value) throws IOException {
        s.getOutputStream().write(value);
        s.getOutputStream().flush();
        return s.getInputStream().read();
    }

    @Test
    void forwardsCutsWithAResetRefusesAndComesBackOnTheSamePort() throws Exception {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort())) {
            int port = proxy.port();
            Socket live = connect(proxy);
            assertEquals(42, roundTrip(live, 42));
            assertEquals(1, proxy.liveConnections());

            proxy.cut();
            assertThrows(SocketException.class, () -> {
                roundTrip(live, 1);
                roundTrip(live, 2); // a write may still be buffered once; the reset shows by the next read
            }, "a live connection is reset");
            assertRefusedOrReset(proxy);

            proxy.resume();
            assertEquals(port, proxy.port());
            try (Socket again = connect(proxy)) {
                assertEquals(7, roundTrip(again, 7));
            }
            live.close();
        }
    }

    @Test
    void aBlackholeAnswersNothingWithoutAResetAndResumeForwardsNewConnections() throws Exception {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort())) {
            Socket live = connect(proxy);
            assertEquals(1, roundTrip(live, 1));

            proxy.blackhole();
            assertThrows(SocketTimeoutException.class, () -> roundTrip(live, 2), "no answer, no reset");
            Socket fresh = connect(proxy);
            assertThrows(SocketTimeoutException.class, () -> roundTrip(fresh, 3), "a new connection is accepted "
                    + "and never answered");
            assertTrue(proxy.connectionsAccepted() >= 2);

            proxy.resume();
            try (Socket again = connect(proxy)) {
                assertEquals(4, roundTrip(again, 4));
            }
            live.close();
            fresh.close();
        }
    }
}
