package dev.speakerembedding.metrics;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code operation} label of a request: its OpenAPI operationId, from the method and the path alone (so a
 * request refused before JAX-RS matched it is still counted under its operation), or {@code other} for anything
 * the API does not define (unknown paths, wrong methods). A bounded set, whatever clients send: profile ids in
 * paths never become label values.
 */
public final class Operations {

    public static final String OTHER = "other";
    private static final Pattern SEGMENT = Pattern.compile("[^/]+");

    private Operations() {
    }

    /**
     * @param method      the HTTP method
     * @param path        the path below the context root, e.g. {@code /v1/speakers/3f2.../verify}
     * @param contentType the request's Content-Type, or null (the hidden JSON form of POST /v1/verify is
     *                    compareEmbeddings)
     */
    public static String of(String method, String path, String contentType) {
        if (method == null || path == null) {
            return OTHER;
        }
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (!p.startsWith("/v1/")) {
            return OTHER;
        }
        String[] s = p.substring(4).split("/", -1);
        for (String segment : s) {
            if (!SEGMENT.matcher(segment).matches()) {
                return OTHER;
            }
        }
        String m = method.toUpperCase(Locale.ROOT);
        return switch (s.length) {
            case 1 -> switch (s[0]) {
                case "embeddings" -> m.equals("POST") ? "createEmbeddings" : OTHER;
                case "verify" -> m.equals("POST") ? (isJson(contentType) ? "compareEmbeddings" : "verifySpeakers")
                        : OTHER;
                case "identify" -> m.equals("POST") ? "identifySpeaker" : OTHER;
                case "model" -> m.equals("GET") ? "getModel" : OTHER;
                case "status" -> m.equals("GET") ? "getStatus" : OTHER;
                case "speakers" -> m.equals("POST") ? "createSpeaker" : m.equals("GET") ? "listSpeakers" : OTHER;
                default -> OTHER;
            };
            case 2 -> s[0].equals("verify") && s[1].equals("embeddings") ? (m.equals("POST") ? "compareEmbeddings"
                    : OTHER) : s[0].equals("speakers") ? switch (m) {
                        case "GET" -> "getSpeaker";
                        case "DELETE" -> "deleteSpeaker";
                        default -> OTHER;
                    } : OTHER;
            case 3 -> !s[0].equals("speakers") ? OTHER : switch (s[2]) {
                case "enrollments" -> switch (m) {
                    case "POST" -> "enrollSpeaker";
                    case "GET" -> "listEnrollments";
                    case "DELETE" -> "resetEnrollments";
                    default -> OTHER;
                };
                case "verify" -> m.equals("POST") ? "verifySpeaker" : OTHER;
                default -> OTHER;
            };
            case 4 -> !s[0].equals("speakers") || !s[2].equals("enrollments") ? OTHER
                    : s[3].equals("embedding") && m.equals("POST") ? "enrollSpeakerEmbedding"
                    : m.equals("DELETE") ? "deleteEnrollment" : OTHER;
            default -> OTHER;
        };
    }

    private static boolean isJson(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).strip().startsWith("application/json");
    }
}
