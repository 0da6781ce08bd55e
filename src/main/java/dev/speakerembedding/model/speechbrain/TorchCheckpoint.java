package dev.speakerembedding.model.speechbrain;

import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.speechbrain.PickleMachine.PyTuple;
import dev.speakerembedding.model.speechbrain.PickleMachine.StorageRef;
import dev.speakerembedding.model.speechbrain.PickleMachine.TensorRef;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads checkpoints written by {@code torch.save} (the zip format of PyTorch 1.6+): {@code <archive>/data.pkl}
 * holds the pickled object, {@code <archive>/data/<key>} the raw storages, {@code <archive>/byteorder} (PyTorch
 * 2.1+) their byte order.
 *
 * <p>This is our own code because no Java library reads torch pickles, and loading the files through Python is
 * exactly what the service must not need. The pickle interpreter builds data only ({@link PickleMachine}).
 */
public final class TorchCheckpoint {

    private static final String PICKLE_NAME = "data.pkl";
    /** A state dict's pickle is a few hundred KB; anything far larger is not a checkpoint we understand. */
    private static final long MAX_PICKLE_BYTES = 64L << 20;

    private TorchCheckpoint() {
    }

    /**
     * Reads a checkpoint whose top-level object is a dict with string keys. Values: {@link TorchTensor},
     * {@code Long}, {@code Double}, {@code Boolean}, {@code String}, {@code null}, nested {@code Map}/{@code List}.
     */
    public static Map<String, Object> read(Path file) throws ModelFormatException {
        String fileName = file.getFileName().toString();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, fileName);
            ByteOrder order = byteOrder(zip, prefix, fileName);
            byte[] pickle = readEntry(zip, zip.getEntry(prefix + PICKLE_NAME), MAX_PICKLE_BYTES, fileName);
            Object root = PickleMachine.load(pickle, fileName);
            if (!(root instanceof Map<?, ?> map)) {
                throw new ModelFormatException(fileName + ": top-level object is not a dict");
            }
            Materializer materializer = new Materializer(zip, prefix, order, fileName);
            materializer.countReferences(map);
            Map<String, Object> result = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new ModelFormatException(fileName + ": top-level key " + e.getKey() + " is not a string");
                }
                result.put(key, materializer.convert(key, e.getValue()));
            }
            return result;
        } catch (ZipException e) {
            throw new ModelFormatException(fileName + ": not a PyTorch zip checkpoint (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException(fileName + ": cannot read (" + e + ")", e);
        }
    }

    /** Reads a state dict: every value must be a tensor. */
    public static Map<String, TorchTensor> readStateDict(Path file) throws ModelFormatException {
        Map<String, TorchTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : read(file).entrySet()) {
            if (!(e.getValue() instanceof TorchTensor tensor)) {
                throw new ModelFormatException(file.getFileName() + ": key " + e.getKey() + " is not a tensor");
            }
            tensors.put(e.getKey(), tensor);
        }
        return tensors;
    }

    private static String archivePrefix(ZipFile zip, String fileName) throws ModelFormatException {
        String found = null;
        for (ZipEntry entry : Collections.list(zip.entries())) {
            String name = entry.getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.indexOf('/', slash + 1) < 0 && name.endsWith("/" + PICKLE_NAME)) {
                if (found != null) {
                    throw new ModelFormatException(fileName + ": more than one " + PICKLE_NAME);
                }
                found = name.substring(0, slash + 1);
            }
        }
        if (found == null) {
            throw new ModelFormatException(fileName + ": no <archive>/" + PICKLE_NAME + " entry");
        }
        return found;
    }

    private static ByteOrder byteOrder(ZipFile zip, String prefix, String fileName)
            throws IOException, ModelFormatException {
        ZipEntry entry = zip.getEntry(prefix + "byteorder");
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN; // written before PyTorch 2.1, always on little-endian machines
        }
        String text = new String(readEntry(zip, entry, 16, fileName), StandardCharsets.US_ASCII).trim();
        return switch (text) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new ModelFormatException(fileName + ": unknown byteorder '" + text + "'");
        };
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long maxBytes, String fileName)
            throws IOException, ModelFormatException {
        long size = entry.getSize();
        if (size < 0 || size > maxBytes) {
            throw new ModelFormatException(fileName + ": entry " + entry.getName() + " has size " + size);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] data = in.readNBytes((int) size);
            if (data.length != size) {
                throw new ModelFormatException(fileName + ": entry " + entry.getName() + " is truncated");
            }
            return data;
        }
    }

    /**
     * Turns tensor references into tensors. A storage shared by several views is read once and kept only until
     * its last view is built, so converting the full model holds each weight once rather than twice.
     */
    private static final class Materializer {
        private final ZipFile zip;
        private final String prefix;
        private final ByteOrder order;
        private final String fileName;
        private final Map<String, Integer> pendingViews = new HashMap<>();
        private final Map<String, ByteBuffer> shared = new HashMap<>();

        Materializer(ZipFile zip, String prefix, ByteOrder order, String fileName) {
            this.zip = zip;
            this.prefix = prefix;
            this.order = order;
            this.fileName = fileName;
        }

        void countReferences(Object value) {
            if (value instanceof TensorRef ref) {
                pendingViews.merge(ref.storage().key(), 1, Integer::sum);
            } else if (value instanceof Map<?, ?> map) {
                map.values().forEach(this::countReferences);
            } else if (value instanceof List<?> list) {
                list.forEach(this::countReferences);
            } else if (value instanceof PyTuple tuple) {
                tuple.items().forEach(this::countReferences);
            }
        }

        Object convert(String path, Object value) throws IOException, ModelFormatException {
            if (value instanceof TensorRef ref) {
                return tensor(path, ref);
            }
            if (value instanceof Map<?, ?> map) {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.put(e.getKey(), convert(path + "." + e.getKey(), e.getValue()));
                }
                return out;
            }
            if (value instanceof List<?> list) {
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    out.add(convert(path + "[" + i + "]", list.get(i)));
                }
                return out;
            }
            if (value instanceof PyTuple tuple) {
                return convert(path, tuple.items());
            }
            if (value == null || value instanceof String || value instanceof Long || value instanceof Double
                    || value instanceof Boolean) {
                return value;
            }
            throw new ModelFormatException(fileName + ": key " + path + " holds an unsupported "
                    + value.getClass().getSimpleName());
        }

        private TorchTensor tensor(String key, TensorRef ref) throws IOException, ModelFormatException {
            long[] size = ref.size();
            long[] stride = ref.stride();
            int[] shape = new int[size.length];
            long count = 1;
            long lastIndex = ref.offset();
            for (int i = 0; i < size.length; i++) {
                if (size[i] > Integer.MAX_VALUE) {
                    throw new ModelFormatException(fileName + ": key " + key + " has a dimension of " + size[i]);
                }
                shape[i] = (int) size[i];
                count *= size[i];
                lastIndex += (size[i] - 1) * stride[i];
            }
            if (count > Integer.MAX_VALUE) {
                throw new ModelFormatException(fileName + ": key " + key + " has " + count + " elements");
            }
            StorageRef storage = ref.storage();
            if (count > 0 && lastIndex >= storage.elementCount()) {
                throw new ModelFormatException(fileName + ": key " + key + " reads element " + lastIndex
                        + " of a storage with " + storage.elementCount());
            }
            ByteBuffer bytes = storage(key, storage);
            int n = (int) count;
            boolean contiguous = isContiguous(size, stride);
            if (storage.dataType() == TorchTensor.DataType.FLOAT32) {
                float[] data = new float[n];
                var view = bytes.asFloatBuffer();
                if (contiguous) {
                    view.get((int) ref.offset(), data);
                } else {
                    forEachIndex(size, stride, ref.offset(), (i, at) -> data[i] = view.get((int) at));
                }
                return TorchTensor.ofFloats(shape, data);
            }
            long[] data = new long[n];
            var view = bytes.asLongBuffer();
            if (contiguous) {
                view.get((int) ref.offset(), data);
            } else {
                forEachIndex(size, stride, ref.offset(), (i, at) -> data[i] = view.get((int) at));
            }
            return TorchTensor.ofLongs(shape, data);
        }

        private ByteBuffer storage(String key, StorageRef ref) throws IOException, ModelFormatException {
            int remaining = pendingViews.merge(ref.key(), -1, Integer::sum);
            ByteBuffer cached = remaining > 0 ? shared.get(ref.key()) : shared.remove(ref.key());
            if (cached != null) {
                return cached.duplicate().order(order);
            }
            ZipEntry entry = zip.getEntry(prefix + "data/" + ref.key());
            if (entry == null) {
                throw new ModelFormatException(fileName + ": key " + key + " refers to missing storage data/"
                        + ref.key());
            }
            long elementBytes = ref.dataType() == TorchTensor.DataType.FLOAT32 ? 4 : 8;
            long expected = ref.elementCount() * elementBytes;
            if (entry.getSize() != expected) {
                throw new ModelFormatException(fileName + ": storage data/" + ref.key() + " for key " + key
                        + " has " + entry.getSize() + " bytes, expected " + expected);
            }
            ByteBuffer buffer = ByteBuffer.wrap(readEntry(zip, entry, Integer.MAX_VALUE, fileName)).order(order);
            if (remaining > 0) {
                shared.put(ref.key(), buffer);
            }
            return buffer.duplicate().order(order);
        }

        private static boolean isContiguous(long[] size, long[] stride) {
            long expected = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= size[i];
            }
            return true;
        }

        private interface IndexConsumer {
            void accept(int flatIndex, long storageIndex);
        }

        private static void forEachIndex(long[] size, long[] stride, long offset, IndexConsumer consumer) {
            int rank = size.length;
            long[] index = new long[rank];
            long count = 1;
            for (long s : size) {
                count *= s;
            }
            long at = offset;
            for (int flat = 0; flat < count; flat++) {
                consumer.accept(flat, at);
                for (int d = rank - 1; d >= 0; d--) {
                    index[d]++;
                    at += stride[d];
                    if (index[d] < size[d]) {
                        break;
                    }
                    at -= index[d] * stride[d];
                    index[d] = 0;
                }
            }
        }
    }
}
