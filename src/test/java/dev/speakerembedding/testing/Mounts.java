package dev.speakerembedding.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Real file-system conditions made with {@code mount} (the tests run as root in a sandbox that may or may not allow
 * it): a small tmpfs for a nearly full disk, a read-only bind mount for a read-only volume (permission bits do not
 * stop root, a read-only mount does). When mounting is not permitted, {@link #skippingWhenNotPermitted()} skips the
 * calling test with the reason, never passes it: the reliability suite's long scenarios use it, and its script counts
 * every skip from the test reports and fails unless run with {@code --allow-skips}. Integration tests of
 * {@code mvn verify} use {@link #failingWhenNotPermitted()}: CI runs them as root with that right, so a machine
 * without it fails saying what is missing, as {@code it/NetworkNamespace} does. {@link #close()} unmounts in reverse
 * order.
 */
public final class Mounts implements AutoCloseable {

    private final List<Path> mounted = new ArrayList<>();
    private final boolean skipWhenNotPermitted;

    private Mounts(boolean skipWhenNotPermitted) {
        this.skipWhenNotPermitted = skipWhenNotPermitted;
    }

    /** A missing right to mount skips the test (the reliability suite counts and names skips). */
    public static Mounts skippingWhenNotPermitted() {
        return new Mounts(true);
    }

    /** A missing right to mount fails the test, naming what it needs. */
    public static Mounts failingWhenNotPermitted() {
        return new Mounts(false);
    }

    /** A tmpfs of {@code size} (e.g. "2m") at {@code dir}. */
    public Path tmpfs(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0777", "tmpfs", dir.toString());
        mounted.add(dir);
        return dir;
    }

    /** {@code source} visible read-only at {@code target} (a bind mount remounted ro: root cannot write it either). */
    public Path readOnlyBind(Path source, Path target) throws IOException, InterruptedException {
        Files.createDirectories(target);
        run("mount", "--bind", source.toString(), target.toString());
        mounted.add(target);
        run("mount", "-o", "remount,ro,bind", target.toString());
        try {
            Files.createFile(target.resolve(".write-probe"));
            Files.delete(target.resolve(".write-probe"));
            notPermitted("the read-only bind mount at " + target + " is still writable in this environment,"
                    + " so a read-only volume cannot be made here");
        } catch (IOException expected) {
            // read-only, as intended
        }
        return target;
    }

    private void notPermitted(String why) {
        if (skipWhenNotPermitted) {
            Assumptions.abort(why);
        }
        throw new AssertionError(why + ". This test needs root with the right to mount (CAP_SYS_ADMIN); run the"
                + " integration tests as root on such a machine (CI does).");
    }

    private void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes()).strip();
        boolean done = p.waitFor(30, TimeUnit.SECONDS);
        if (!done || p.exitValue() != 0) {
            notPermitted("cannot " + String.join(" ", command) + " in this environment (needs root and mount"
                    + " permission): " + output);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (int i = mounted.size() - 1; i >= 0; i--) {
            Process p = new ProcessBuilder("umount", mounted.get(i).toString()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                // a lazy unmount still detaches it from the tree, so the temp dir can be deleted
                new ProcessBuilder("umount", "-l", mounted.get(i).toString()).start().waitFor(30, TimeUnit.SECONDS);
                System.out.println("umount " + mounted.get(i) + ": " + output.strip() + " (lazy unmount used)");
            }
        }
        mounted.clear();
    }
}
