package dev.speakerembedding.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.speakerembedding.model.onnx.OnnxWriter.Attribute;
import dev.speakerembedding.model.onnx.OnnxWriter.Dim;
import dev.speakerembedding.model.onnx.OnnxWriter.ModelProto;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OnnxWriterTest {

    /** y = reflect_pad(x) (time axis) then x @ W + b: int64 and float initializers, attributes, a symbolic dim. */
    @Test
    void onnxRuntimeRunsAWrittenGraph() throws IOException, OrtException {
        GraphBuilder g = new GraphBuilder();
        String x = g.input("x", List.of(Dim.symbolic("rows"), Dim.of(2)));
        String padded = g.op("Pad", List.of(x, g.longs(1, 0, 1, 0)), Attribute.of("mode", "reflect"));
        String w = g.weight("w", new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        String b = g.weight("b", new float[]{0.5f, -0.5f, 1}, 3);
        String y = g.op("Add", g.op("MatMul", padded, w), b);
        g.output(y, "y", List.of(Dim.symbolic("rows_padded"), Dim.of(3)));
        ModelProto model = g.build("test", "speaker-embedding", "test", Map.of("purpose", "unit test"));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OnnxWriter.write(model, bytes);
        assertEquals(OnnxWriter.serializedSize(model), bytes.size());

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(bytes.toByteArray(), options);
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1, 0, 0, 1}),
                     new long[]{2, 2});
             OrtSession.Result result = session.run(Map.of("x", input))) {
            assertEquals("unit test", session.getMetadata().getCustomMetadata().get("purpose"));
            // Rows after reflection: [0,1], [1,0], [0,1], [1,0].
            float[] expected = {4.5f, 4.5f, 7, 1.5f, 1.5f, 4, 4.5f, 4.5f, 7, 1.5f, 1.5f, 4};
            OnnxTensor out = (OnnxTensor) result.get("y").orElseThrow();
            assertArrayEquals(new long[]{4, 3}, out.getInfo().getShape());
            float[] actual = new float[12];
            out.getFloatBuffer().get(actual);
            assertArrayEquals(expected, actual);
        }
    }

    /**
     * int8 and uint8 initializers keep every bit (uint8 200 and 255, int8 -127), and a com.microsoft node runs: y =
     * DynamicQuantizeMatMul(x, Wq, per-column scales, bias), which with an exactly representable x equals
     * x @ (Wq * scale) + bias.
     */
    @Test
    void eightBitTensorsAndAContribNodeRun() throws IOException, OrtException {
        GraphBuilder g = new GraphBuilder();
        String x = g.input("x", List.of(Dim.symbolic("rows"), Dim.of(2)));
        String wq = g.int8Weight("wq", new byte[]{1, -127, 127, 2, 0, -3}, 2, 3);
        String scales = g.weight("scale", new float[]{0.5f, 0.25f, 2f}, 3);
        String bias = g.weight("bias", new float[]{1, 2, 3}, 3);
        String y = g.microsoftOp("DynamicQuantizeMatMul", List.of(x, wq, scales, "", bias));
        g.output(y, "y", List.of(Dim.symbolic("rows"), Dim.of(3)));
        String bytes = g.op("Cast", g.uint8Weight("u8", new byte[]{0, (byte) 200, (byte) 255}, 3),
                Attribute.of("to", (long) OnnxWriter.FLOAT));
        g.output(bytes, "u8", List.of(Dim.of(3)));
        ModelProto model = g.build("test", "speaker-embedding", "test", Map.of());
        assertEquals(List.of(new OnnxWriter.OperatorSetId("", GraphBuilder.OPSET),
                new OnnxWriter.OperatorSetId(OnnxWriter.MICROSOFT_DOMAIN, GraphBuilder.MICROSOFT_OPSET)),
                model.opsetImports());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OnnxWriter.write(model, out);
        assertEquals(OnnxWriter.serializedSize(model), out.size());

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(out.toByteArray(), options);
             // 0 and 255/255 = 1 quantise exactly (scale 1/255, zero point 0), so the product is exact.
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1, 0, 0, 1, 1, 1}),
                     new long[]{3, 2});
             OrtSession.Result result = session.run(Map.of("x", input))) {
            float[] actual = new float[9];
            ((OnnxTensor) result.get("y").orElseThrow()).getFloatBuffer().get(actual);
            // Rows of W = Wq * scale: [0.5, -31.75, 254], [1, 0, -6].
            float[] expected = {1.5f, -29.75f, 257, 2, 2, -3, 2.5f, -29.75f, 251};
            assertArrayEquals(expected, actual, 1e-4f);
            float[] unsigned = new float[3];
            ((OnnxTensor) result.get("u8").orElseThrow()).getFloatBuffer().get(unsigned);
            assertArrayEquals(new float[]{0, 200, 255}, unsigned);
        }
    }

    @Test
    void aTensorsValuesMustFitItsTypeAndDims() {
        assertThrows(IllegalArgumentException.class,
                () -> new OnnxWriter.TensorProto("t", new long[]{2}, OnnxWriter.FLOAT, null, null, new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> OnnxWriter.TensorProto.int8("t", new long[]{3}, new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> new OnnxWriter.TensorProto("t", new long[]{1}, OnnxWriter.INT8, new float[1], null, null));
    }
}
