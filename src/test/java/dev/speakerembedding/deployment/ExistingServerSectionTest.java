package dev.speakerembedding.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * The README's "Deploying into an existing Liberty server" says what the project's own server has: the same features,
 * the same dataSource and variables, the same JVM options, the library files the pom builds, environment variables
 * the configuration knows. ExistingServerIT then proves the section is enough to run the application.
 */
class ExistingServerSectionTest {

    private static final Path ROOT = Path.of(System.getProperty("project.root", "."));
    /**
     * What server.xml holds for the packaged server itself, not for the application: its port and host, how it
     * deploys (dropins) and its console log format. An existing server has its own.
     */
    private static final Set<String> SERVER_OWN_ELEMENTS = Set.of("applicationManager", "applicationMonitor", "logging");
    private static final Set<String> SERVER_OWN_VARIABLES = Set.of("http.port", "https.port", "http.host");

    private static ExistingServerSection section;
    private static Element fragment;
    private static Element serverXml;

    @BeforeAll
    static void read() throws Exception {
        section = ExistingServerSection.read(ROOT.resolve("README.md"));
        fragment = parse(section.serverXml());
        serverXml = parse(Files.readString(ROOT.resolve("server.xml")));
    }

    @Test
    void featuresAreExactlyThoseOfServerXml() {
        assertEquals(features(serverXml), features(fragment));
        for (String feature : features(serverXml)) {
            assertTrue(section.text().contains("`" + feature + "`"), "the section's list names " + feature);
        }
    }

    private Element serverHttpEndpoint() {
        return children(serverXml).stream().filter(c -> c.getTagName().equals("httpEndpoint")).findFirst()
                .orElseThrow(() -> new AssertionError("server.xml has no httpEndpoint"));
    }

    @Test
    void everyApplicationSettingOfServerXmlIsInTheFragmentUnchanged() {
        List<String> expected = new ArrayList<>();
        for (Element e : children(serverXml)) {
            String name = e.getTagName();
            if (name.equals("featureManager") || SERVER_OWN_ELEMENTS.contains(name)
                    || (name.equals("variable") && SERVER_OWN_VARIABLES.contains(e.getAttribute("name")))) {
                continue;
            }
            if (name.equals("httpEndpoint")) {
                // Its ports and host are the server's; its httpOptions are the application's.
                children(e).forEach(c -> expected.add("httpEndpoint[id=" + e.getAttribute("id") + "]/" + canonical(c)));
                continue;
            }
            expected.add(canonical(e));
        }
        List<String> actual = new ArrayList<>();
        for (Element e : children(fragment)) {
            String name = e.getTagName();
            if (name.equals("featureManager") || name.equals("webApplication")) {
                continue;
            }
            if (name.equals("httpEndpoint")) {
                Map<String, String> own = new TreeMap<>(attributes(serverHttpEndpoint()));
                own.keySet().removeAll(Set.of("host", "httpPort", "httpsPort"));
                assertEquals(own, new TreeMap<>(attributes(e)),
                        "the fragment leaves ports and host to the server and keeps the rest of server.xml's");
                children(e).forEach(c -> actual.add("httpEndpoint[id=" + e.getAttribute("id") + "]/" + canonical(c)));
                continue;
            }
            actual.add(canonical(e));
        }
        assertEquals(new TreeSet<>(expected), new TreeSet<>(actual));
        assertEquals(expected.size(), actual.size(), "nothing twice");
    }

    @Test
    void theApplicationIsTheWarAtTheContextRootTheWarDeclares() throws Exception {
        List<Element> apps = children(fragment).stream().filter(e -> e.getTagName().equals("webApplication")).toList();
        assertEquals(1, apps.size());
        assertEquals(pomValue("finalName") + ".war", apps.get(0).getAttribute("location"));
        Element ext = parse(Files.readString(ROOT.resolve("src/main/webapp/WEB-INF/ibm-web-ext.xml")));
        String declared = ((Element) ext.getElementsByTagName("context-root").item(0)).getAttribute("uri");
        assertEquals(declared, apps.get(0).getAttribute("contextRoot"));
        assertTrue(section.text().contains("context root is `" + declared + "`"));
    }

    @Test
    void jvmOptionsAreThoseOfTheProject() throws Exception {
        List<String> project = Files.readAllLines(ROOT.resolve("liberty/config/jvm.options")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertEquals(project, section.jvmOptions());
    }

    @Test
    void environmentVariablesNamedAreConfigurationVariables() throws Exception {
        Set<String> known = configurationTableNames();
        assertTrue(known.contains("MODEL_CACHE_DIR") && known.contains("PROFILE_DB_PASSWORD"), "table read: " + known);
        for (String name : section.serverEnv().keySet()) {
            assertTrue(known.contains(name), "server.env block: " + name + " is in the Configuration table");
        }
        assertEquals(Set.of("MODEL_CACHE_DIR", "DATA_DIR"), section.serverEnv().keySet(),
                "the two directories the application writes to");
        // Liberty's and the JDK's own variables that the section may name besides the application's.
        Set<String> liberty = Set.of("WLP_JAR_EXTRACT_DIR", "JAVA_HOME");
        Matcher m = Pattern.compile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`").matcher(section.text());
        while (m.find()) {
            assertTrue(known.contains(m.group(1)) || liberty.contains(m.group(1)),
                    m.group(1) + " is a variable of the Configuration table");
        }
    }

    @Test
    void librariesAreTheFilesTheBuildMakesAndWhereTheFragmentReadsThem() throws Exception {
        String text = section.text();
        String onnx = "onnxruntime-" + pomValue("onnxruntime.version") + ".jar";
        assertTrue(text.contains("`cli-lib/" + onnx + "`") && text.contains("`" + onnx + "` in the server's `lib/global`"),
                onnx);
        for (String driver : List.of("h2-" + pomValue("h2.version") + ".jar",
                "postgresql-" + pomValue("postgresql.version") + ".jar")) {
            assertTrue(text.contains("`jdbc-lib/" + driver + "`"), driver);
        }
        Element fileset = (Element) fragment.getElementsByTagName("fileset").item(0);
        assertEquals("${server.config.dir}/lib/jdbc", fileset.getAttribute("dir"));
        assertTrue(text.contains("in the server's `lib/jdbc` directory"));
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        assertTrue(pom.contains("<location>lib/global</location>") && pom.contains("<location>lib/jdbc</location>"),
                "the packaged server has them where the section says");
        String jar = pomValue("liberty.package.name") + ".jar";
        assertTrue(text.contains("`" + jar + "`"), "the runnable jar's name: " + jar);
        assertTrue(pom.contains("<include>minify,runnable</include>") && text.contains("`minify,runnable`"));
        assertTrue(text.contains("Open Liberty " + pomValue("openliberty.version")));
    }

    private static Set<String> configurationTableNames() throws Exception {
        String table = ExistingServerSection.section(Files.readString(ROOT.resolve("README.md")), "## Configuration");
        Set<String> names = new TreeSet<>();
        for (String line : table.lines().filter(l -> l.startsWith("| `")).toList()) {
            Matcher m = Pattern.compile("`([A-Z][A-Z0-9_]*)`").matcher(line.split("\\|")[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static List<String> features(Element server) {
        List<String> out = new ArrayList<>();
        var list = server.getElementsByTagName("feature");
        for (int i = 0; i < list.getLength(); i++) {
            out.add(list.item(i).getTextContent().strip());
        }
        return out;
    }

    private static Element parse(String xml) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        return doc.getDocumentElement();
    }

    private static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
            }
        }
        return out;
    }

    private static TreeMap<String, String> attributes(Element e) {
        TreeMap<String, String> out = new TreeMap<>();
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            out.put(attrs.item(i).getNodeName(), attrs.item(i).getNodeValue());
        }
        return out;
    }

    /** An element as its name, sorted attributes and children, comments and whitespace left out. */
    private static String canonical(Element e) {
        StringBuilder sb = new StringBuilder(e.getTagName()).append(attributes(e));
        List<Element> kids = children(e);
        if (!kids.isEmpty()) {
            sb.append('{');
            kids.forEach(k -> sb.append(canonical(k)).append(';'));
            sb.append('}');
        }
        return sb.toString();
    }

    private static String pomValue(String tag) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(tag) + ">([^<]+)</" + Pattern.quote(tag) + ">")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertTrue(m.find(), "pom has " + tag);
        return m.group(1).strip();
    }
}
