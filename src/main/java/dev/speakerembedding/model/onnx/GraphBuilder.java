package dev.speakerembedding.model.onnx;

import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter.GraphProto;
import dev.speakerembedding.model.onnx.OnnxWriter.MetadataEntry;
import dev.speakerembedding.model.onnx.OnnxWriter.ModelProto;
import dev.speakerembedding.model.onnx.OnnxWriter.NodeProto;
import dev.speakerembedding.model.onnx.OnnxWriter.OperatorSetId;
import dev.speakerembedding.model.onnx.OnnxWriter.TensorProto;
import dev.speakerembedding.model.onnx.OnnxWriter.ValueInfo;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects nodes and initializers in topological order (the order of the calls) and names every value, so
 * graph code reads as the computation: {@code y = g.op("Relu", x)}.
 */
public final class GraphBuilder {

    /** ONNX IR version 8 goes with opset 18 (ONNX 1.13); ONNX Runtime 1.29 runs both. */
    public static final long IR_VERSION = 8;
    public static final long OPSET = 18;
    /** ONNX Runtime's contrib operator set (com.microsoft), imported only by graphs that use one of its nodes. */
    public static final long MICROSOFT_OPSET = 1;

    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, String> longConstants = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();
    private int counter;
    private boolean usesMicrosoftDomain;

    public String input(String name, List<Dim> dims) {
        return input(name, OnnxWriter.FLOAT, dims);
    }

    /** A graph input of element type {@code elemType} ({@link OnnxWriter#FLOAT}, {@link OnnxWriter#INT64}). */
    public String input(String name, int elemType, List<Dim> dims) {
        claim(name);
        inputs.add(new ValueInfo(name, elemType, dims));
        return name;
    }

    /** Declares {@code value} as a graph output under the name {@code name} (adds an Identity when they differ). */
    public void output(String value, String name, List<Dim> dims) {
        if (!value.equals(name)) {
            claim(name);
            nodes.add(new NodeProto(name, "Identity", List.of(value), List.of(name), List.of()));
        }
        outputs.add(new ValueInfo(name, OnnxWriter.FLOAT, dims));
    }

    /** A float initializer; {@code name} is a hint made unique. */
    public String weight(String name, float[] values, long... dims) {
        String unique = unique(name);
        initializers.add(TensorProto.floats(unique, dims, values));
        return unique;
    }

    /** An int8 initializer (quantised weights); {@code name} is a hint made unique. */
    public String int8Weight(String name, byte[] values, long... dims) {
        String unique = unique(name);
        initializers.add(TensorProto.int8(unique, dims, values));
        return unique;
    }

    /** A uint8 initializer (zero points of unsigned activations); {@code name} is a hint made unique. */
    public String uint8Weight(String name, byte[] values, long... dims) {
        String unique = unique(name);
        initializers.add(TensorProto.uint8(unique, dims, values));
        return unique;
    }

    /** A 1-D int64 initializer (axes, pads, shapes, split sizes), shared between nodes that use the same values. */
    public String longs(long... values) {
        StringBuilder key = new StringBuilder();
        for (long v : values) {
            key.append(v).append(',');
        }
        return longConstants.computeIfAbsent(key.toString(), k -> {
            String unique = unique("i64");
            initializers.add(TensorProto.longs(unique, new long[]{values.length}, values.clone()));
            return unique;
        });
    }

    /** Adds a node with one output and returns the output's name. */
    public String op(String opType, List<String> in, Attribute... attributes) {
        return ops(opType, in, 1, attributes).get(0);
    }

    public String op(String opType, String in, Attribute... attributes) {
        return op(opType, List.of(in), attributes);
    }

    public String op(String opType, String a, String b, Attribute... attributes) {
        return op(opType, List.of(a, b), attributes);
    }

    /** Adds a node with {@code outputCount} outputs. */
    public List<String> ops(String opType, List<String> in, int outputCount, Attribute... attributes) {
        return ops("", opType, in, outputCount, attributes);
    }

    /** Adds a node of ONNX Runtime's contrib domain ({@link OnnxWriter#MICROSOFT_DOMAIN}) with one output. */
    public String microsoftOp(String opType, List<String> in, Attribute... attributes) {
        usesMicrosoftDomain = true;
        return ops(OnnxWriter.MICROSOFT_DOMAIN, opType, in, 1, attributes).get(0);
    }

    private List<String> ops(String domain, String opType, List<String> in, int outputCount,
                             Attribute... attributes) {
        String nodeName = unique(opType);
        List<String> out = new ArrayList<>(outputCount);
        for (int i = 0; i < outputCount; i++) {
            out.add(outputCount == 1 ? nodeName + ":0" : nodeName + ":" + i);
        }
        nodes.add(new NodeProto(nodeName, opType, in, out, List.of(attributes), domain));
        return out;
    }

    public ModelProto build(String graphName, String producerName, String producerVersion,
                            Map<String, String> metadata) {
        List<MetadataEntry> entries = new ArrayList<>();
        metadata.forEach((k, v) -> entries.add(new MetadataEntry(k, v)));
        GraphProto graph = new GraphProto(graphName, nodes, initializers, inputs, outputs);
        List<OperatorSetId> opsets = new ArrayList<>(List.of(new OperatorSetId("", OPSET)));
        if (usesMicrosoftDomain) {
            opsets.add(new OperatorSetId(OnnxWriter.MICROSOFT_DOMAIN, MICROSOFT_OPSET));
        }
        return new ModelProto(IR_VERSION, opsets, producerName, producerVersion, graph, entries);
    }

    private String unique(String hint) {
        String name = hint + "_" + counter++;
        claim(name);
        return name;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate value name " + name);
        }
    }
}
