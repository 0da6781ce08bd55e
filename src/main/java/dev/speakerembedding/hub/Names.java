package dev.speakerembedding.hub;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The rules every name from configuration or from the Hub passes before it becomes part of a path or
 * a URL, and the URL quoting huggingface_hub applies.
 */
final class Names {
    /** huggingface_hub's REGEX_COMMIT_HASH: only this form of revision is taken as a commit (no ref file). */
    private static final Pattern COMMIT_REVISION = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-fA-F]{40}");
    private static final Pattern GIT_SHA1 = Pattern.compile("[0-9a-fA-F]{40}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    // huggingface_hub's REPO_ID_REGEX part: word characters, '.', '-'; starting and ending with a word character
    private static final Pattern REPO_PART = Pattern.compile("\\w(?:[\\w.-]{0,94}\\w)?");
    private static final int MAX_REVISION_CHARS = 255;
    private static final int MAX_FILENAME_CHARS = 1024;
    private static final String PYTHON_ALWAYS_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";

    private Names() {
    }

    static void validateRepoId(String repoId) throws UnsafeNameException {
        if (repoId == null || repoId.isEmpty()) {
            throw unsafe("repo id", repoId, "it is empty; expected 'org/name'");
        }
        String[] parts = repoId.split("/", -1);
        if (parts.length > 2) {
            throw unsafe("repo id", repoId, "expected 'org/name' with a single '/'");
        }
        for (String part : parts) {
            if (!REPO_PART.matcher(part).matches()) {
                throw unsafe("repo id", repoId, "each part must be 1-96 letters, digits, '_', '.' or '-',"
                        + " starting and ending with a letter, digit or '_'");
            }
            if (part.contains("--") || part.contains("..")) {
                throw unsafe("repo id", repoId, "'--' and '..' are not allowed");
            }
        }
    }

    /** git's check-ref-format rules, which also keep {@code refs/{revision}} inside the repo folder. */
    static void validateRevision(String revision) throws UnsafeNameException {
        if (revision == null || revision.isEmpty()) {
            throw unsafe("revision", revision, "it is empty");
        }
        if (revision.length() > MAX_REVISION_CHARS) {
            throw unsafe("revision", revision, "longer than " + MAX_REVISION_CHARS + " characters");
        }
        for (int i = 0; i < revision.length(); i++) {
            char c = revision.charAt(i);
            if (c < 0x20 || c == 0x7f || c == ' ' || "~^:?*[\\".indexOf(c) >= 0) {
                throw unsafe("revision", revision, "control characters, spaces and ~^:?*[\\ are not allowed");
            }
        }
        if (revision.equals("@") || revision.contains("@{") || revision.contains("..") || revision.endsWith(".")) {
            throw unsafe("revision", revision, "'..', '@{', a lone '@' and a trailing '.' are not allowed");
        }
        for (String segment : revision.split("/", -1)) {
            if (segment.isEmpty() || segment.startsWith(".") || segment.endsWith(".lock")) {
                throw unsafe("revision", revision,
                        "empty segments, segments starting with '.' and segments ending with '.lock' are not allowed");
            }
        }
    }

    /** A path inside a repository: '/'-separated, relative, no '.'/'..' segments, no backslash or control characters. */
    static void validateFilename(String filename) throws UnsafeNameException {
        if (filename == null || filename.isEmpty()) {
            throw unsafe("file name", filename, "it is empty");
        }
        if (filename.length() > MAX_FILENAME_CHARS) {
            throw unsafe("file name", filename, "longer than " + MAX_FILENAME_CHARS + " characters");
        }
        for (int i = 0; i < filename.length(); i++) {
            char c = filename.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                throw unsafe("file name", filename, "control characters and backslashes are not allowed");
            }
        }
        if (filename.startsWith("/")) {
            throw unsafe("file name", filename, "absolute paths are not allowed");
        }
        for (String segment : filename.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw unsafe("file name", filename, "empty, '.' and '..' segments are not allowed");
            }
        }
    }

    /** The Hub's etags are a git blob sha1 (40 hex) or, for LFS files, a sha256 (64 hex): one safe path segment. */
    static void validateEtag(String etag) throws UnsafeNameException {
        if (etag == null || !(GIT_SHA1.matcher(etag).matches() || SHA256.matcher(etag).matches())) {
            throw unsafe("etag", etag, "expected 40 or 64 hexadecimal digits");
        }
    }

    static void validateCommit(String commit) throws UnsafeNameException {
        if (commit == null || !COMMIT.matcher(commit).matches()) {
            throw unsafe("commit hash", commit, "expected 40 hexadecimal digits");
        }
    }

    static boolean isCommitRevision(String revision) {
        return COMMIT_REVISION.matcher(revision).matches();
    }

    static boolean isSha256(String etag) {
        return SHA256.matcher(etag).matches();
    }

    static boolean isEtag(String name) {
        return GIT_SHA1.matcher(name).matches() || SHA256.matcher(name).matches();
    }

    /**
     * Resolves {@code relative} under {@code base} and refuses a result outside of it, whatever the
     * validation before let through.
     */
    static Path inside(Path base, String relative, String what) throws UnsafeNameException {
        Path normalizedBase = base.toAbsolutePath().normalize();
        Path resolved = normalizedBase.resolve(relative).normalize();
        if (!resolved.startsWith(normalizedBase) || resolved.equals(normalizedBase)) {
            throw unsafe(what, relative, "it resolves outside " + normalizedBase);
        }
        return resolved;
    }

    /** Python's {@code urllib.parse.quote(text, safe=safe)}: UTF-8, upper-case percent escapes. */
    static String quote(String text, String safe) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && (PYTHON_ALWAYS_SAFE.indexOf(c) >= 0 || safe.indexOf(c) >= 0)) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** huggingface_hub's _normalize_etag: drop a weak-validator prefix and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String value = etag.strip();
        if (value.startsWith("W/")) {
            value = value.substring(2);
        }
        while (value.startsWith("\"")) {
            value = value.substring(1);
        }
        while (value.endsWith("\"")) {
            value = value.substring(0, value.length() - 1);
        }
        return value;
    }

    /** A value fit for a message: control characters escaped, long values cut. */
    static String printable(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 200; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= 200) {
            out.append("...");
        }
        return out.toString();
    }

    private static UnsafeNameException unsafe(String what, String value, String reason) {
        return new UnsafeNameException("Refused " + what + " '" + printable(value) + "': " + reason);
    }
}
