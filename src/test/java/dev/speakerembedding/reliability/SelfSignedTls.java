package dev.speakerembedding.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed certificate for 127.0.0.1 made at test time with the JDK's keytool (nothing checked in), as the
 * server's key store for an HTTPS Hub, and the matching trust store a user would configure with
 * {@code -Djavax.net.ssl.trustStore}.
 */
final class SelfSignedTls {

    static final String PASSWORD = "changeit";

    private final Path keyStore;
    private final Path trustStore;

    private SelfSignedTls(Path keyStore, Path trustStore) {
        this.keyStore = keyStore;
        this.trustStore = trustStore;
    }

    static SelfSignedTls create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path keyStore = dir.resolve("hub-key.p12");
        Path cert = dir.resolve("hub-cert.pem");
        Path trustStore = dir.resolve("hub-trust.p12");
        keytool("-genkeypair", "-alias", "hub", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1, O=speaker-embedding reliability test", "-ext",
                "SAN=ip:127.0.0.1,ip:127.0.0.2,dns:localhost", "-keystore", keyStore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-alias", "hub", "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-rfc",
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "hub", "-file", cert.toString(), "-keystore",
                trustStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        return new SelfSignedTls(keyStore, trustStore);
    }

    /** The JVM options that make a JVM trust this certificate (what a user puts in JVM_ARGS or jvm.options). */
    String trustJvmArgs() {
        return "-Djavax.net.ssl.trustStore=" + trustStore + " -Djavax.net.ssl.trustStorePassword=" + PASSWORD
                + " -Djavax.net.ssl.trustStoreType=PKCS12";
    }

    Path trustStore() {
        return trustStore;
    }

    /** The server side: an SSL context presenting the self-signed certificate. */
    SSLContext serverContext() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
