package dev.speakerembedding.reliability;

import dev.speakerembedding.testing.LibertyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of a Liberty JVM, from the kernel's own accounting ({@code /proc/<pid>/status}, VmRSS). */
final class ProcessMemory {

    private ProcessMemory() {
    }

    /** VmRSS of the server's JVM in KiB; -1 where /proc is not available. */
    static long rssKb(LibertyServer server) {
        return rssKb(server.jvmPid());
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static String mb(long kb) {
        return kb < 0 ? "n/a" : String.format("%.1f MB", kb / 1024.0);
    }
}
