package dev.speakerembedding.hub;

import java.time.Duration;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Receives download progress on the downloading thread: {@link #progress} at most once per progress interval per
 * file (for logs), {@link #bytesArrived} whenever a piece of a body arrives (for watchdogs, so it must be cheap).
 */
public interface DownloadListener {

    void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond);

    /** Bytes of a body arrived: the transfer is alive, whatever the progress interval. */
    default void bytesArrived() {
    }

    /** {@code count} bytes of a body arrived (what the hub client calls; by default, {@link #bytesArrived()}). */
    default void bytesReceived(long count) {
        bytesArrived();
    }

    /**
     * A request to the Hub failed in a way worth another attempt (network, 429, 5xx, a body cut short) and is
     * retried after {@code delay}.
     *
     * @param what the request, its URL redacted
     */
    default void retrying(String what, Duration delay) {
    }

    /**
     * @param downloaded false when the file was already in the cache and nothing was fetched
     */
    default void fileDone(String file, long bytes, Duration took, boolean downloaded) {
    }

    /** Every event to {@code first}, then to {@code second}. */
    static DownloadListener both(DownloadListener first, DownloadListener second) {
        return new DownloadListener() {
            @Override
            public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
                first.progress(file, bytesDone, bytesTotal, bytesPerSecond);
                second.progress(file, bytesDone, bytesTotal, bytesPerSecond);
            }

            @Override
            public void bytesReceived(long count) {
                first.bytesReceived(count);
                second.bytesReceived(count);
            }

            @Override
            public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
                first.fileDone(file, bytes, took, downloaded);
                second.fileDone(file, bytes, took, downloaded);
            }

            @Override
            public void retrying(String what, Duration delay) {
                first.retrying(what, delay);
                second.retrying(what, delay);
            }
        };
    }

    static DownloadListener none() {
        return (file, bytesDone, bytesTotal, bytesPerSecond) -> { };
    }

    /** Logs "file, percent, MB/s" at INFO. */
    static DownloadListener logging(Logger logger) {
        return new DownloadListener() {
            @Override
            public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
                double percent = bytesTotal > 0 ? 100.0 * bytesDone / bytesTotal : 0;
                logger.log(Level.INFO, () -> String.format(Locale.ROOT, "Downloading %s: %.0f%% (%.1f of %.1f MB) at %.2f MB/s",
                        file, percent, bytesDone / 1e6, bytesTotal / 1e6, bytesPerSecond / 1e6));
            }

            @Override
            public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
                if (downloaded) {
                    double seconds = Math.max(took.toMillis(), 1) / 1000.0;
                    logger.log(Level.INFO, () -> String.format(Locale.ROOT, "Downloaded %s: %.1f MB in %.1f s (%.2f MB/s)",
                            file, bytes / 1e6, seconds, bytes / 1e6 / seconds));
                } else {
                    logger.log(Level.FINE, () -> "Already cached: " + file);
                }
            }
        };
    }
}
