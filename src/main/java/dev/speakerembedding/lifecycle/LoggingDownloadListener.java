package dev.speakerembedding.lifecycle;

import dev.speakerembedding.hub.DownloadListener;
import dev.speakerembedding.logging.LogFields;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs download progress as "file, percent, MB/s", with the fields {@code file}, {@code bytes_done_long},
 * {@code bytes_total_long} and {@code bytes_per_second_long} (README "Logs"); the hub client already limits how often
 * it reports.
 */
public final class LoggingDownloadListener implements DownloadListener {

    private static final Logger LOG = Logger.getLogger(LoggingDownloadListener.class.getName());
    private static final double MB = 1_000_000.0;

    @Override
    public void progress(String file, long bytesDone, long bytesTotal, double bytesPerSecond) {
        LogFields.log(LOG, Level.INFO, String.format("Downloading %s: %.0f%% (%.1f of %.1f MB) at %.1f MB/s", file,
                bytesTotal > 0 ? 100.0 * bytesDone / bytesTotal : 0.0, bytesDone / MB, bytesTotal / MB,
                bytesPerSecond / MB), null, LogFields.of("file", file, "bytes_done_long", bytesDone,
                "bytes_total_long", bytesTotal, "bytes_per_second_long", Math.round(bytesPerSecond)));
    }

    @Override
    public void fileDone(String file, long bytes, Duration took, boolean downloaded) {
        if (downloaded) {
            double seconds = Math.max(took.toMillis(), 1) / 1000.0;
            LogFields.log(LOG, Level.INFO, String.format("Downloaded %s: %.1f MB in %.1f s (%.1f MB/s), verified",
                    file, bytes / MB, seconds, bytes / MB / seconds), null, LogFields.of("file", file,
                    "bytes_long", bytes, "download_ms_long", took.toMillis()));
        }
    }
}
