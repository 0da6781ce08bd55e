package dev.speakerembedding.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of the test's own, joined to this host by a veth pair, so a client can reach a server from an
 * address that is not loopback without touching a real network: addresses come from 198.18.0.0/15, the range RFC
 * 2544 reserves for benchmarking, one /30 per namespace. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's
 * {@code ip}; without them {@link #create()} fails with what is missing, so a test that needs it never passes
 * silently. {@link #close()} deletes the namespace and the veth pair.
 */
final class NetworkNamespace implements AutoCloseable {

    static final String IP = "/usr/sbin/ip";

    private final String name;
    private final String hostLink;
    private final String hostAddress;
    private final String namespaceAddress;

    private NetworkNamespace(String name, String hostLink, String hostAddress, String namespaceAddress) {
        this.name = name;
        this.hostLink = hostLink;
        this.hostAddress = hostAddress;
        this.namespaceAddress = namespaceAddress;
    }

    static NetworkNamespace create() throws IOException, InterruptedException {
        SecureRandom random = new SecureRandom();
        String id = HexFormat.of().formatHex(random.generateSeed(3));
        // Interface names are at most 15 characters.
        String name = "spkauth-" + id;
        String hostLink = "vsa" + id + "h";
        String nsLink = "vsa" + id + "n";
        int block = random.nextInt(2 * 256 * 64); // the /30 blocks of 198.18.0.0/15
        int base = (198 << 24) | (18 << 16) | (block << 2);
        String hostAddress = dotted(base + 1);
        String namespaceAddress = dotted(base + 2);
        Result add = run(IP, "netns", "add", name);
        if (add.exitCode() != 0) {
            throw new AssertionError("this test makes a network namespace to send requests from a non-loopback "
                    + "address and could not: `ip netns add` failed (" + add.output().strip() + "). It needs root "
                    + "(CAP_SYS_ADMIN, CAP_NET_ADMIN), iproute2 at " + IP + " and a kernel with network namespaces and "
                    + "veth; run the integration tests as root on such a machine (CI does).");
        }
        NetworkNamespace ns = new NetworkNamespace(name, hostLink, hostAddress, namespaceAddress);
        try {
            ns.check(IP, "link", "add", hostLink, "type", "veth", "peer", "name", nsLink);
            ns.check(IP, "link", "set", nsLink, "netns", name);
            ns.check(IP, "addr", "add", hostAddress + "/30", "dev", hostLink);
            ns.check(IP, "link", "set", hostLink, "up");
            ns.check(IP, "netns", "exec", name, IP, "addr", "add", namespaceAddress + "/30", "dev", nsLink);
            ns.check(IP, "netns", "exec", name, IP, "link", "set", nsLink, "up");
            ns.check(IP, "netns", "exec", name, IP, "link", "set", "lo", "up");
            return ns;
        } catch (Throwable t) {
            ns.close();
            throw t;
        }
    }

    /** This host's end of the veth pair: the address a client in the namespace connects to. */
    String hostAddress() {
        return hostAddress;
    }

    /** The client's address, as the server sees it. */
    String namespaceAddress() {
        return namespaceAddress;
    }

    /** Runs {@code command} inside the namespace. */
    Result exec(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of(IP, "netns", "exec", name));
        full.addAll(command);
        return run(full.toArray(String[]::new));
    }

    private void check(String... command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exitCode() != 0) {
            throw new AssertionError("setting up network namespace " + name + " failed: " + String.join(" ", command)
                    + " exited " + r.exitCode() + ": " + r.output().strip());
        }
    }

    record Result(int exitCode, String output) {
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String dotted(int address) {
        return ((address >>> 24) & 255) + "." + ((address >>> 16) & 255) + "." + ((address >>> 8) & 255) + "."
                + (address & 255);
    }

    /** Deletes the veth pair (its peer goes with it) and the namespace; each step runs even if the other fails. */
    @Override
    public void close() throws IOException, InterruptedException {
        run(IP, "link", "del", hostLink);
        Result del = run(IP, "netns", "del", name);
        if (del.exitCode() != 0) {
            throw new AssertionError("could not delete network namespace " + name + ": " + del.output().strip());
        }
    }
}
