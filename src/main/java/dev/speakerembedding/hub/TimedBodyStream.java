package dev.speakerembedding.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as an InputStream whose every read gives up after a timeout. HttpClient's own request
 * timeout only covers the wait for the headers; without this a server that stalls mid-body would block a
 * download forever.
 */
final class TimedBodyStream extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {
    private static final Object COMPLETE = new Object();
    private static final int DEMAND = 8;

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final long timeoutNanos;
    private final Object subscriptionLock = new Object();
    private Flow.Subscription subscription;
    private boolean cancelled;
    private Iterator<ByteBuffer> buffers;
    private ByteBuffer current;
    private boolean finished;

    private TimedBodyStream(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    static TimedBodyStream of(Flow.Publisher<List<ByteBuffer>> body, Duration timeout) {
        TimedBodyStream stream = new TimedBodyStream(timeout);
        body.subscribe(stream);
        return stream;
    }

    @Override
    public void onSubscribe(Flow.Subscription newSubscription) {
        synchronized (subscriptionLock) {
            subscription = newSubscription;
            if (cancelled) {
                newSubscription.cancel();
                return;
            }
        }
        newSubscription.request(DEMAND);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable throwable) {
        queue.add(throwable);
    }

    @Override
    public void onComplete() {
        queue.add(COMPLETE);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (current == null || !current.hasRemaining()) {
            if (finished) {
                return -1;
            }
            if (buffers != null && buffers.hasNext()) {
                current = buffers.next();
                continue;
            }
            Object item = next();
            if (item == COMPLETE) {
                finished = true;
                return -1;
            }
            if (item instanceof Throwable failure) {
                finished = true;
                throw failure instanceof IOException io ? io : new IOException(failure.getMessage(), failure);
            }
            @SuppressWarnings("unchecked")
            List<ByteBuffer> list = (List<ByteBuffer>) item;
            buffers = list.iterator();
            subscription().request(1);
        }
        int n = Math.min(length, current.remaining());
        current.get(target, offset, n);
        return n;
    }

    private Object next() throws IOException {
        try {
            Object item = queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new SocketTimeoutException("No data received for " + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while reading a response body");
        }
    }

    private Flow.Subscription subscription() {
        synchronized (subscriptionLock) {
            return subscription;
        }
    }

    /** Cancels the body when it was not read to its end, which makes HttpClient drop the connection. */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        Flow.Subscription toCancel;
        synchronized (subscriptionLock) {
            cancelled = true;
            toCancel = subscription;
        }
        if (toCancel != null) {
            toCancel.cancel();
        }
    }
}
