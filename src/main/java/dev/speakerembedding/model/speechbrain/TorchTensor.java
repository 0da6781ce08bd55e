package dev.speakerembedding.model.speechbrain;

import java.util.Arrays;

/**
 * A tensor read from a PyTorch checkpoint, contiguous in row-major order. Float32 tensors carry {@code data};
 * int64 tensors (such as BatchNorm's {@code num_batches_tracked}) carry {@code longData}. Shape [] is a scalar.
 */
public record TorchTensor(DataType dataType, int[] shape, float[] data, long[] longData) {

    /** The storage types a speechbrain state dict uses. */
    public enum DataType { FLOAT32, INT64 }

    public TorchTensor {
        shape = shape.clone();
        long count = elementCount(shape);
        int actual = dataType == DataType.FLOAT32 ? data.length : longData.length;
        if (count != actual) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                    + " values, got " + actual);
        }
    }

    public static TorchTensor ofFloats(int[] shape, float[] data) {
        return new TorchTensor(DataType.FLOAT32, shape, data, null);
    }

    public static TorchTensor ofLongs(int[] shape, long[] data) {
        return new TorchTensor(DataType.INT64, shape, null, data);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int elementCount() {
        return (int) elementCount(shape);
    }

    /** Shape as "[8,8,3]", the form used in error messages. */
    public String shapeString() {
        return formatShape(shape);
    }

    static String formatShape(int[] shape) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            text.append(i == 0 ? "" : ",").append(shape[i]);
        }
        return text.append(']').toString();
    }

    static long elementCount(int[] shape) {
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        return count;
    }
}
