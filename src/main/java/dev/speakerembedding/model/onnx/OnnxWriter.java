package dev.speakerembedding.model.onnx;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;

/**
 * Writes ONNX models in protobuf wire format straight from small records, field numbers as in onnx.proto.
 *
 * <p>We do not generate classes from onnx.proto: the converter needs a dozen fields, and streaming the
 * records keeps the 80 MB of weights out of a second in-memory copy (protobuf messages would hold them as
 * ByteStrings while the file is written).
 */
public final class OnnxWriter {

    /** TensorProto.DataType values used here. */
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT8 = 3;
    public static final int INT64 = 7;
    /** ONNX Runtime's contrib operators (DynamicQuantizeMatMul, ...): nodes of this domain need its opset import. */
    public static final String MICROSOFT_DOMAIN = "com.microsoft";

    private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int BUFFER_BYTES = 1 << 16;

    private OnnxWriter() {
    }

    /** Serialises the model to the stream (not closed; flushed). */
    public static void write(ModelProto model, OutputStream out) throws IOException {
        CodedOutputStream coded = CodedOutputStream.newInstance(out, BUFFER_BYTES);
        model.writeTo(coded);
        coded.flush();
    }

    /** Exact size in bytes of the serialised model. */
    public static long serializedSize(ModelProto model) {
        return model.size();
    }

    /** A protobuf message that knows its encoded size. */
    sealed interface Message permits ModelProto, OperatorSetId, GraphProto, NodeProto, Attribute, TensorProto,
            ValueInfo, Dim, MetadataEntry {
        /** Encoded size without tag and length prefix. */
        int size();

        void writeTo(CodedOutputStream out) throws IOException;
    }

    public record ModelProto(long irVersion, List<OperatorSetId> opsetImports, String producerName,
                             String producerVersion, GraphProto graph, List<MetadataEntry> metadata)
            implements Message {
        public ModelProto {
            opsetImports = List.copyOf(opsetImports);
            metadata = List.copyOf(metadata);
            Objects.requireNonNull(graph, "graph");
        }

        @Override
        public int size() {
            return CodedOutputStream.computeInt64Size(1, irVersion)
                    + stringSize(2, producerName) + stringSize(3, producerVersion)
                    + messageSize(7, graph) + messagesSize(8, opsetImports) + messagesSize(14, metadata);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            out.writeInt64(1, irVersion);
            writeString(out, 2, producerName);
            writeString(out, 3, producerVersion);
            writeMessage(out, 7, graph);
            writeMessages(out, 8, opsetImports);
            writeMessages(out, 14, metadata);
        }
    }

    public record MetadataEntry(String key, String value) implements Message {
        @Override
        public int size() {
            return stringSize(1, key) + stringSize(2, value);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, key);
            writeString(out, 2, value);
        }
    }

    /** An operator set import; domain "" is the default ai.onnx domain. */
    public record OperatorSetId(String domain, long version) implements Message {
        @Override
        public int size() {
            return stringSize(1, domain) + CodedOutputStream.computeInt64Size(2, version);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, domain);
            out.writeInt64(2, version);
        }
    }

    public record GraphProto(String name, List<NodeProto> nodes, List<TensorProto> initializers,
                             List<ValueInfo> inputs, List<ValueInfo> outputs) implements Message {
        public GraphProto {
            nodes = List.copyOf(nodes);
            initializers = List.copyOf(initializers);
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }

        @Override
        public int size() {
            long total = (long) messagesSize(1, nodes) + stringSize(2, name) + messagesSize(5, initializers)
                    + messagesSize(11, inputs) + messagesSize(12, outputs);
            return checkedSize(total);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeMessages(out, 1, nodes);
            writeString(out, 2, name);
            writeMessages(out, 5, initializers);
            writeMessages(out, 11, inputs);
            writeMessages(out, 12, outputs);
        }
    }

    /** A node; {@code domain} "" is the default ai.onnx domain, else e.g. {@link #MICROSOFT_DOMAIN}. */
    public record NodeProto(String name, String opType, List<String> inputs, List<String> outputs,
                            List<Attribute> attributes, String domain) implements Message {
        public NodeProto {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
            domain = domain == null ? "" : domain;
        }

        public NodeProto(String name, String opType, List<String> inputs, List<String> outputs,
                         List<Attribute> attributes) {
            this(name, opType, inputs, outputs, attributes, "");
        }

        @Override
        public int size() {
            int total = 0;
            for (String input : inputs) {
                total += CodedOutputStream.computeStringSize(1, input);
            }
            for (String output : outputs) {
                total += CodedOutputStream.computeStringSize(2, output);
            }
            return total + stringSize(3, name) + stringSize(4, opType) + messagesSize(5, attributes)
                    + stringSize(7, domain);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            for (String input : inputs) {
                out.writeString(1, input);
            }
            for (String output : outputs) {
                out.writeString(2, output);
            }
            writeString(out, 3, name);
            writeString(out, 4, opType);
            writeMessages(out, 5, attributes);
            writeString(out, 7, domain);
        }
    }

    /**
     * A node attribute: exactly one of the value fields is used, as {@code type} says
     * (AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, INTS 7).
     */
    public record Attribute(String name, int type, float f, long i, String s, long[] ints) implements Message {
        private static final int TYPE_FLOAT = 1;
        private static final int TYPE_INT = 2;
        private static final int TYPE_STRING = 3;
        private static final int TYPE_INTS = 7;

        public static Attribute of(String name, long value) {
            return new Attribute(name, TYPE_INT, 0f, value, null, null);
        }

        public static Attribute of(String name, float value) {
            return new Attribute(name, TYPE_FLOAT, value, 0, null, null);
        }

        public static Attribute of(String name, String value) {
            return new Attribute(name, TYPE_STRING, 0f, 0, value, null);
        }

        public static Attribute ints(String name, long... values) {
            return new Attribute(name, TYPE_INTS, 0f, 0, null, values.clone());
        }

        @Override
        public int size() {
            int total = stringSize(1, name) + CodedOutputStream.computeInt32Size(20, type);
            switch (type) {
                case TYPE_FLOAT -> total += CodedOutputStream.computeFloatSize(2, f);
                case TYPE_INT -> total += CodedOutputStream.computeInt64Size(3, i);
                case TYPE_STRING -> total += CodedOutputStream.computeStringSize(4, s);
                case TYPE_INTS -> {
                    for (long v : ints) {
                        total += CodedOutputStream.computeInt64Size(8, v);
                    }
                }
                default -> throw new IllegalStateException("attribute type " + type);
            }
            return total;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, name);
            out.writeInt32(20, type);
            switch (type) {
                case TYPE_FLOAT -> out.writeFloat(2, f);
                case TYPE_INT -> out.writeInt64(3, i);
                case TYPE_STRING -> out.writeString(4, s);
                case TYPE_INTS -> {
                    for (long v : ints) {
                        out.writeInt64(8, v);
                    }
                }
                default -> throw new IllegalStateException("attribute type " + type);
            }
        }
    }

    /**
     * An initializer; the values go to raw_data (little-endian) from exactly one of floats, longs and bytes (the
     * latter int8 or uint8 as {@code dataType} says).
     */
    public record TensorProto(String name, long[] dims, int dataType, float[] floats, long[] longs, byte[] bytes)
            implements Message {
        public TensorProto {
            int given = (floats != null ? 1 : 0) + (longs != null ? 1 : 0) + (bytes != null ? 1 : 0);
            if (given != 1) {
                throw new IllegalArgumentException(name + ": exactly one of floats, longs and bytes");
            }
            int expectedType = floats != null ? FLOAT : longs != null ? INT64 : dataType;
            if (dataType != expectedType || (bytes != null && dataType != INT8 && dataType != UINT8)) {
                throw new IllegalArgumentException(name + ": data type " + dataType + " does not fit the values");
            }
            long count = 1;
            for (long d : dims) {
                count *= d;
            }
            int actual = floats != null ? floats.length : longs != null ? longs.length : bytes.length;
            if (count != actual) {
                throw new IllegalArgumentException(name + ": dims hold " + count + " values, got " + actual);
            }
        }

        public static TensorProto floats(String name, long[] dims, float[] values) {
            return new TensorProto(name, dims, FLOAT, values, null, null);
        }

        public static TensorProto longs(String name, long[] dims, long[] values) {
            return new TensorProto(name, dims, INT64, null, values, null);
        }

        /** Signed 8-bit values (two's complement, as Java's byte). */
        public static TensorProto int8(String name, long[] dims, byte[] values) {
            return new TensorProto(name, dims, INT8, null, null, values);
        }

        /** Unsigned 8-bit values: the byte's bits read as 0..255. */
        public static TensorProto uint8(String name, long[] dims, byte[] values) {
            return new TensorProto(name, dims, UINT8, null, null, values);
        }

        private int rawBytes() {
            return floats != null ? checkedSize(4L * floats.length)
                    : longs != null ? checkedSize(8L * longs.length) : bytes.length;
        }

        @Override
        public int size() {
            int total = 0;
            for (long d : dims) {
                total += CodedOutputStream.computeInt64Size(1, d);
            }
            int raw = rawBytes();
            total += CodedOutputStream.computeInt32Size(2, dataType) + stringSize(8, name);
            return checkedSize((long) total + CodedOutputStream.computeTagSize(9)
                    + CodedOutputStream.computeUInt32SizeNoTag(raw) + raw);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, dataType);
            writeString(out, 8, name);
            out.writeTag(9, LENGTH_DELIMITED);
            out.writeUInt32NoTag(rawBytes());
            if (floats != null) {
                for (float v : floats) {
                    out.writeFixed32NoTag(Float.floatToRawIntBits(v));
                }
            } else if (longs != null) {
                for (long v : longs) {
                    out.writeFixed64NoTag(v);
                }
            } else {
                out.writeRawBytes(bytes);
            }
        }
    }

    /** A tensor dimension: a fixed value, or a symbolic name when {@code param} is set. */
    public record Dim(long value, String param) implements Message {
        public static Dim of(long value) {
            return new Dim(value, null);
        }

        public static Dim symbolic(String param) {
            return new Dim(0, param);
        }

        @Override
        public int size() {
            return param != null ? CodedOutputStream.computeStringSize(2, param)
                    : CodedOutputStream.computeInt64Size(1, value);
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            if (param != null) {
                out.writeString(2, param);
            } else {
                out.writeInt64(1, value);
            }
        }
    }

    /** A graph input or output: ValueInfoProto { name, TypeProto { tensor_type { elem_type, shape } } }. */
    public record ValueInfo(String name, int elemType, List<Dim> dims) implements Message {
        public ValueInfo {
            dims = List.copyOf(dims);
        }

        private int shapeSize() {
            return messagesSize(1, dims);
        }

        private int tensorTypeSize() {
            int shape = shapeSize();
            return CodedOutputStream.computeInt32Size(1, elemType) + CodedOutputStream.computeTagSize(2)
                    + CodedOutputStream.computeUInt32SizeNoTag(shape) + shape;
        }

        private int typeSize() {
            int tensorType = tensorTypeSize();
            return CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(tensorType)
                    + tensorType;
        }

        @Override
        public int size() {
            int type = typeSize();
            return stringSize(1, name) + CodedOutputStream.computeTagSize(2)
                    + CodedOutputStream.computeUInt32SizeNoTag(type) + type;
        }

        @Override
        public void writeTo(CodedOutputStream out) throws IOException {
            writeString(out, 1, name);
            out.writeTag(2, LENGTH_DELIMITED);
            out.writeUInt32NoTag(typeSize());
            out.writeTag(1, LENGTH_DELIMITED);
            out.writeUInt32NoTag(tensorTypeSize());
            out.writeInt32(1, elemType);
            out.writeTag(2, LENGTH_DELIMITED);
            out.writeUInt32NoTag(shapeSize());
            writeMessages(out, 1, dims);
        }
    }

    private static int stringSize(int field, String value) {
        return value == null || value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, value);
    }

    private static void writeString(CodedOutputStream out, int field, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            out.writeString(field, value);
        }
    }

    private static int messageSize(int field, Message message) {
        int size = message.size();
        return checkedSize((long) CodedOutputStream.computeTagSize(field)
                + CodedOutputStream.computeUInt32SizeNoTag(size) + size);
    }

    private static int messagesSize(int field, List<? extends Message> messages) {
        long total = 0;
        for (Message m : messages) {
            total += messageSize(field, m);
        }
        return checkedSize(total);
    }

    private static void writeMessage(CodedOutputStream out, int field, Message message) throws IOException {
        out.writeTag(field, LENGTH_DELIMITED);
        out.writeUInt32NoTag(message.size());
        message.writeTo(out);
    }

    private static void writeMessages(CodedOutputStream out, int field, List<? extends Message> messages)
            throws IOException {
        for (Message m : messages) {
            writeMessage(out, field, m);
        }
    }

    /** Protobuf messages are limited to 2 GiB; ONNX files beyond that need external data, which we never write. */
    private static int checkedSize(long size) {
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ONNX message of " + size + " bytes exceeds the 2 GiB protobuf limit");
        }
        return (int) size;
    }
}
