package dev.speakerembedding.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the little-endian float32 / float64 / int64 NumPy arrays of the conformance data (C order only), and
 * compares outputs with them by checks that fail on NaN and infinity.
 */
public record Npy(int[] shape, float[] data) {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");

    public static Npy read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        buf.get(magic);
        if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + ": not a .npy file");
        }
        int major = buf.get() & 0xff;
        buf.get();
        int headerLength = major == 1 ? (buf.getShort() & 0xffff) : buf.getInt();
        byte[] header = new byte[headerLength];
        buf.get(header);
        String text = new String(header, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(text);
        Matcher s = SHAPE.matcher(text);
        Matcher f = FORTRAN.matcher(text);
        if (!d.find() || !s.find() || !f.find() || f.group(1).equals("True")) {
            throw new IOException(file + ": unsupported header " + text);
        }
        int[] shape = Arrays.stream(s.group(1).split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
        int count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] data = new float[count];
        switch (d.group(1)) {
            case "<f4" -> buf.asFloatBuffer().get(data);
            case "<f8" -> { for (int i = 0; i < count; i++) data[i] = (float) buf.getDouble(); }
            case "<i8" -> { for (int i = 0; i < count; i++) data[i] = buf.getLong(); }
            default -> throw new IOException(file + ": unsupported dtype " + d.group(1));
        }
        return new Npy(shape, data);
    }

    /** Reads a float64 array without rounding to float. */
    public static double[] readDoubles(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(8);
        int headerLength = buf.getShort() & 0xffff;
        String text = new String(buf.array(), 10, headerLength, StandardCharsets.ISO_8859_1);
        if (!text.contains("'<f8'")) {
            throw new IOException(file + ": not float64");
        }
        buf.position(10 + headerLength);
        double[] out = new double[buf.remaining() / 8];
        buf.asDoubleBuffer().get(out);
        return out;
    }

    /**
     * Largest absolute elementwise difference; fails on a length mismatch. NaN when either side holds a value that
     * is not finite (NaN or an infinity, even the same infinity on both sides: no reference output of this project
     * holds one, so one is always broken output, which must never look close); a check written {@code diff > tol}
     * is false for NaN, so checks use {@link #withinTolerance}.
     */
    public static double maxAbsDiff(float[] expected, float[] actual) {
        requireSameLength(expected, actual);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            if (!Float.isFinite(e) || !Float.isFinite(a)) {
                return Double.NaN;
            }
            double diff = Math.abs((double) e - a);
            if (diff > max) {
                max = diff;
            }
        }
        return max;
    }

    /**
     * Cosine similarity in double precision; fails on a length mismatch. NaN when an element of either vector is
     * not finite or either vector is all zeros, so that {@link #cosineAtLeast} fails on it.
     */
    public static double cosine(float[] a, float[] b) {
        requireSameLength(a, b);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i]) || !Float.isFinite(b[i])) {
                return Double.NaN;
            }
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? Double.NaN : dot / Math.sqrt(na * nb);
    }

    /** True only when {@code diff} is a number no larger than {@code tolerance}: NaN and infinity never pass. */
    public static boolean withinTolerance(double diff, double tolerance) {
        return Double.isFinite(diff) && diff <= tolerance;
    }

    /** True only when {@code cosine} is a number of at least {@code min}: NaN never passes. */
    public static boolean cosineAtLeast(double cosine, double min) {
        return Double.isFinite(cosine) && cosine >= min;
    }

    /**
     * Asserts that {@code actual} matches {@code expected} within {@code maxAbs} elementwise and has a cosine of at
     * least {@code minCosine} to it; a NaN or an unmatched infinity in either fails.
     */
    public static void assertClose(String what, float[] expected, float[] actual, double maxAbs, double minCosine) {
        double diff = maxAbsDiff(expected, actual);
        double cos = cosine(expected, actual);
        if (!withinTolerance(diff, maxAbs) || !cosineAtLeast(cos, minCosine)) {
            throw new AssertionError(what + ": max |diff| " + diff + " (at most " + maxAbs + " allowed), cosine "
                    + cos + " (at least " + minCosine + " required)");
        }
    }

    private static void requireSameLength(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new AssertionError("length: expected " + expected.length + ", got " + actual.length);
        }
    }

    /** The test resources copied from ../shared/conformance/speechbrain-ecapa. */
    public static Path conformanceDir() {
        String dir = System.getProperty("conformance.dir", "src/test/resources/conformance");
        return Path.of(dir);
    }
}
