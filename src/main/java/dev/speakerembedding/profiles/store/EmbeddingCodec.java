package dev.speakerembedding.profiles.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Embeddings in a binary column: float32, little-endian, {@code 4 x dimension} bytes, no header (the dimension is
 * a column of its own, and a CHECK ties the two). Little-endian because that is what numpy's {@code <f4} and
 * every x86 and ARM machine use, so a dump can be read with {@code numpy.frombuffer(b, '<f4')}.
 */
final class EmbeddingCodec {

    private EmbeddingCodec() {
    }

    static byte[] encode(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(vector);
        return buffer.array();
    }

    /** @throws ProfileStoreFailureException when the bytes are not {@code dimension} float32 values */
    static float[] decode(byte[] bytes, int dimension, EnrollmentId enrollment) {
        if (bytes == null || bytes.length != dimension * Float.BYTES) {
            throw new ProfileStoreFailureException("stored embedding of enrollment " + enrollment + " has "
                    + (bytes == null ? 0 : bytes.length) + " bytes, expected " + dimension * Float.BYTES);
        }
        float[] vector = new float[dimension];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}
