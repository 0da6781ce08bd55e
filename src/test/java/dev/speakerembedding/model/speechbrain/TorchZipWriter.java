package dev.speakerembedding.model.speechbrain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes state dicts the way torch.save does (zip layout, pickle protocol 2 with the same opcodes), so tests can
 * make checkpoints with renamed keys, wrong shapes or strided storages without Python.
 */
final class TorchZipWriter {

    private TorchZipWriter() {
    }

    static void write(Path file, Map<String, TorchTensor> tensors) throws IOException {
        Pickle pickle = new Pickle();
        pickle.op(0x80).op(2);
        pickle.global("collections", "OrderedDict").op(')').op('R').op('(');
        int storage = 0;
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, TorchTensor> e : tensors.entrySet()) {
                TorchTensor t = e.getValue();
                int[] shape = t.shape();
                long[] stride = new long[shape.length];
                long step = 1;
                for (int d = shape.length - 1; d >= 0; d--) {
                    stride[d] = step;
                    step *= shape[d];
                }
                String key = Integer.toString(storage++);
                pickle.string(e.getKey());
                tensorReference(pickle, t.dataType(), key, t.elementCount(), 0, shape, stride);
                entry(zip, "archive/data/" + key, storageBytes(t));
            }
            pickle.op('u').op('.');
            entry(zip, "archive/data.pkl", pickle.bytes());
            entry(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Where a tensor lies in its storage. */
    record View(long offset, int[] shape, long[] stride) {
    }

    /** A dict of tensors that are all views into the one float storage {@code storage}. */
    static void writeViews(Path file, float[] storage, Map<String, View> views) throws IOException {
        Pickle pickle = new Pickle();
        pickle.op(0x80).op(2).op('}').op('(');
        views.forEach((name, view) -> {
            pickle.string(name);
            tensorReference(pickle, TorchTensor.DataType.FLOAT32, "0", storage.length, view.offset(), view.shape(),
                    view.stride());
        });
        pickle.op('u').op('.');
        ByteBuffer bytes = ByteBuffer.allocate(storage.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(storage);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            entry(zip, "archive/data.pkl", pickle.bytes());
            entry(zip, "archive/data/0", bytes.array());
        }
    }

    /** A checkpoint whose pickle is {@code pickleBytes} verbatim. */
    static void writeRawPickle(Path file, byte[] pickleBytes) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            entry(zip, "archive/data.pkl", pickleBytes);
        }
    }

    private static void tensorReference(Pickle p, TorchTensor.DataType type, String key, long count, long offset,
                                        int[] shape, long[] stride) {
        p.global("torch._utils", "_rebuild_tensor_v2").op('(');
        p.op('(').string("storage")
                .global("torch", type == TorchTensor.DataType.FLOAT32 ? "FloatStorage" : "LongStorage")
                .string(key).string("cpu").integer(count).op('t').op('Q');
        p.integer(offset);
        p.op('(');
        for (int d : shape) {
            p.integer(d);
        }
        p.op('t').op('(');
        for (long s : stride) {
            p.integer(s);
        }
        p.op('t').op(0x89);
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('t').op('R');
    }

    private static byte[] storageBytes(TorchTensor t) {
        ByteBuffer bytes = ByteBuffer.allocate(t.elementCount() * (t.dataType() == TorchTensor.DataType.FLOAT32
                ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
        if (t.dataType() == TorchTensor.DataType.FLOAT32) {
            bytes.asFloatBuffer().put(t.data());
        } else {
            bytes.asLongBuffer().put(t.longData());
        }
        return bytes.array();
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /** Emits pickle opcodes. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(utf8.length, 4);
            out.writeBytes(utf8);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle integer(long v) {
            op('J');
            le(v, 4);
            return this;
        }

        private void le(long v, int n) {
            for (int i = 0; i < n; i++) {
                out.write((int) (v >>> (8 * i)) & 0xff);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
