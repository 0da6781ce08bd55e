package dev.speakerembedding.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP/1.1 over a plain socket, for the requests a well-behaved client library refuses to send: a Content-Length
 * that lies, a chunked body that never ends, an upload that trickles one byte a second.
 */
final class RawHttp {

    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.[01] (\\d{3})");

    /** What came back: the status (-1 when none), the raw head and body text, and how long it took. */
    record Answer(int status, String text, long bytesSent, Duration elapsed, String how) {
        boolean isProblem() {
            return text.toLowerCase().contains("content-type: application/problem+json");
        }
    }

    /** What the client does after sending the head. */
    interface BodyWriter {
        /** Writes body bytes; returns how many were sent. May stop early when the server answers (see {@code answered}). */
        long write(OutputStream out, InputStream in, Socket socket) throws IOException, InterruptedException;
    }

    private RawHttp() {
    }

    static Answer exchange(int port, String head, BodyWriter body, Duration answerTimeout) throws IOException,
            InterruptedException {
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout((int) answerTimeout.toMillis());
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long sent = 0;
            String how = "complete";
            try {
                sent = body.write(out, in, socket);
            } catch (IOException e) {
                how = "server closed while sending: " + e.getClass().getSimpleName();
            }
            String text = readAnswer(in);
            Matcher m = STATUS.matcher(text);
            int status = m.find() && m.start() == 0 ? Integer.parseInt(m.group(1)) : -1;
            return new Answer(status, text, sent, Duration.ofNanos(System.nanoTime() - started), how);
        }
    }

    /** Reads until the server closes or goes quiet; a timeout with no byte at all is an empty answer. */
    private static String readAnswer(InputStream in) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                got.write(buffer, 0, n);
                String text = got.toString(StandardCharsets.ISO_8859_1);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd >= 0) {
                    Matcher len = Pattern.compile("(?i)content-length: *(\\d+)").matcher(text.substring(0, headEnd));
                    if (len.find() && got.size() >= headEnd + 4 + Integer.parseInt(len.group(1))) {
                        break;
                    }
                }
            }
        } catch (SocketTimeoutException e) {
            // nothing more within the timeout
        } catch (IOException e) {
            // reset after the answer: keep what came
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the server already sent something (an early answer) without blocking. */
    static boolean answered(InputStream in) throws IOException {
        return in.available() > 0;
    }

    static String postHead(String path, String... headers) {
        StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headers) {
            head.append(h).append("\r\n");
        }
        return head.append("\r\n").toString();
    }
}
