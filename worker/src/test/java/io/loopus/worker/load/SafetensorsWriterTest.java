package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SafetensorsWriterTest {
    @TempDir Path tmp;

    @Test void writesTheSafetensorsLayoutAndReadsBack() throws IOException {
        float[] v = {1f, -2.5f, 3.1415927f, 1e-7f, 65504f, -0f, 0.1f, 7f, 8f, 9f, 10f, 11f};
        Matrix m = new F32Matrix(3, 4, v);
        Path f = tmp.resolve("t.safetensors");
        new SafetensorsWriter()
                .add("m", m)
                .add("m.rows", m, new int[] {2, 0, 1})
                .add("half", DType.F16, new long[] {2, 6}, v)
                .add("brain", DType.BF16, new long[] {12}, v)
                .add("norm", new float[] {0.5f, 2f, 3f})
                .addRaw("q", "I8", new long[] {5}, new byte[] {1, 2, 3, 4, 5})
                .write(f);
        byte[] bytes = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLen % 8, "data starts 8-byte aligned");
        JsonNode h = new ObjectMapper().readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        assertEquals("pt", h.path("__metadata__").path("format").asText());
        // the safetensors rule: tensors cover the data section exactly, back to back
        Map<Long, Long> spans = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                spans.put(e.getValue().path("data_offsets").get(0).asLong(), e.getValue().path("data_offsets").get(1).asLong());
            }
        }
        long at = 0;
        for (Map.Entry<Long, Long> s : spans.entrySet()) {
            assertEquals(at, s.getKey());
            at = s.getValue();
        }
        assertEquals(bytes.length, 8 + headerLen + at);

        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            Matrix back = st.matrix("m", 3, 4);
            for (int i = 0; i < 12; i++) assertEquals(v[i], back.get(i / 4, i % 4));
            Matrix rows = st.matrix("m.rows", 3, 4);
            for (int c = 0; c < 4; c++) assertEquals(m.get(2, c), rows.get(0, c));
            for (int c = 0; c < 4; c++) assertEquals(m.get(1, c), rows.get(2, c));
            Matrix half = st.matrix("half", 2, 6);
            assertEquals(DType.F16, half.dtype());
            for (int i = 0; i < 12; i++) assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[i])), half.get(i / 6, i % 6));
            float[] brain = st.vector("brain", 12);
            for (int i = 0; i < 12; i++) assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i])), brain[i]);
            assertArrayEquals(new float[] {0.5f, 2f, 3f}, st.vector("norm", 3));
            assertEquals("I8", st.entries().get("q").dtypeName());
        }
    }

    @Test void replacesAnExistingFileWholeAndLeavesNoTempFile() throws IOException {
        Path f = Files.writeString(tmp.resolve("x.safetensors"), "old contents");
        new SafetensorsWriter().add("a", new float[] {1, 2}).write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertArrayEquals(new float[] {1, 2}, st.vector("a", 2));
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
    }

    @Test void rejectsDuplicateNamesAndWrongSizes() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[] {2}));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[] {2}));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", DType.F32, new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", new F32Matrix(2, 1, new float[2]), new int[] {0}));
    }
}
