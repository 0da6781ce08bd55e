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
}
