package io.loopus.worker.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken Hugging Face directories are refused with a message that names the file and the problem. */
class HfBrokenInputTest {
    @TempDir Path tmp;
    final TinyHf.Spec spec = TinyHf.Spec.llama(false);
    final Map<String, TinyHf.T> weights = TinyHf.randomWeights(spec, 3);

    Path valid() throws IOException {
        return TinyHf.write(tmp.resolve("model"), spec, weights, DType.F32);
    }

    /** Loads dir, expects a ModelFormatException about {@code file} whose message says each of {@code words}. */
    static void assertRefused(Path dir, Path file, String... words) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelLoader.load(dir, null, CpuBackend.INSTANCE));
        assertEquals(file, e.file(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "\"" + w + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, "one line: " + e.getMessage());
    }

    @Test void theValidModelLoads() throws IOException {
        assertEquals(spec.dim(), ModelLoader.load(valid(), null, CpuBackend.INSTANCE).model().config().dim());
    }

    @Test void badJsonInConfig() throws IOException {
        Path dir = valid();
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": 16,");
        assertRefused(dir, dir.resolve("config.json"), "not valid JSON");
    }

    @Test void configThatIsNotAnObject() throws IOException {
        Path dir = valid();
        Files.writeString(dir.resolve("config.json"), "[1, 2]");
        assertRefused(dir, dir.resolve("config.json"), "not a JSON object");
    }

    @Test void unsupportedArchitecture() throws IOException {
        Path dir = valid();
        Files.writeString(dir.resolve("config.json"), TinyHf.config(spec).put("model_type", "gpt2").toString());
        assertRefused(dir, dir.resolve("config.json"), "unsupported architecture", "gpt2");
    }

    @Test void missingConfigField() throws IOException {
        Path dir = valid();
        ObjectNode c = TinyHf.config(spec);
        c.remove("num_hidden_layers");
        Files.writeString(dir.resolve("config.json"), c.toString());
        assertRefused(dir, dir.resolve("config.json"), "num_hidden_layers");
    }

    @Test void missingTensor() throws IOException {
        Path dir = valid();
        weights.remove("model.layers.1.mlp.up_proj.weight");
        TinyHf.writer(weights, DType.F32).write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "missing tensor model.layers.1.mlp.up_proj.weight");
    }

    @Test void missingLmHeadWhenNotTied() throws IOException {
        Path dir = valid();
        weights.remove("lm_head.weight");
        TinyHf.writer(weights, DType.F32).write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "missing tensor lm_head.weight");
    }

    @Test void aFileWithNoTensors() throws IOException {
        Path dir = valid();
        new SafetensorsWriter().write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "missing tensor model.embed_tokens.weight");
    }

    @Test void wrongShape() throws IOException {
        Path dir = valid();
        TinyHf.T k = weights.get("model.layers.0.self_attn.k_proj.weight"); // [8, 16] stored as [16, 8]
        weights.put("model.layers.0.self_attn.k_proj.weight", new TinyHf.T(new long[] {16, 8}, k.v()));
        TinyHf.writer(weights, DType.F32).write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "model.layers.0.self_attn.k_proj.weight",
                "has shape [16, 8], expected [8, 16]");
    }

    @Test void unsupportedDtype() throws IOException {
        Path dir = valid();
        SafetensorsWriter st = new SafetensorsWriter();
        weights.forEach((name, t) -> {
            if (name.equals("model.layers.1.self_attn.q_proj.weight")) st.addRaw(name, "I8", t.shape(), new byte[t.v().length]);
            else st.add(name, DType.F32, t.shape(), t.v());
        });
        st.write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "model.layers.1.self_attn.q_proj.weight",
                "unsupported dtype I8");
    }

    @Test void offsetsThatDisagreeWithTheShape() throws IOException {
        Path dir = valid();
        SafetensorsWriter st = TinyHf.writer(weights, DType.F32);
        st.addRaw("extra.weight", "F32", new long[] {4, 4}, new byte[60]);
        st.write(dir.resolve("model.safetensors"));
        assertRefused(dir, dir.resolve("model.safetensors"), "extra.weight", "needs 64 bytes", "offsets give 60");
    }

    @Test void truncatedSafetensors() throws IOException {
        Path dir = valid();
        Path f = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertRefused(dir, f, "truncated");
    }

    @Test void headerLengthPastTheEnd() throws IOException {
        Path dir = valid();
        Path f = dir.resolve("model.safetensors");
        long size = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(size).array());
        }
        assertRefused(dir, f, "bad safetensors header length " + size);
    }

    @Test void shorterThanTheHeaderLength() throws IOException {
        Path dir = valid();
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertRefused(dir, dir.resolve("model.safetensors"), "truncated");
    }

    @Test void headerThatIsNotJson() throws IOException {
        Path dir = valid();
        byte[] header = "{\"a\": [1, 2".getBytes();
        Files.write(dir.resolve("model.safetensors"), ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array());
        assertRefused(dir, dir.resolve("model.safetensors"), "header is not valid JSON");
    }

    @Test void indexNamingAMissingShard() throws IOException {
        Path dir = TinyHf.writeSharded(tmp.resolve("sharded"), spec, weights, 2);
        Files.delete(dir.resolve(TinyHf.shardName(1, 2)));
        assertRefused(dir, dir.resolve("model.safetensors.index.json"), "shard " + TinyHf.shardName(1, 2), "missing");
    }

    @Test void indexWithAnEmptyWeightMap() throws IOException {
        Path dir = TinyHf.writeSharded(tmp.resolve("sharded"), spec, weights, 2);
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        assertRefused(dir, dir.resolve("model.safetensors.index.json"), "weight_map");
    }

    @Test void noWeightsAtAll() throws IOException {
        Path dir = valid();
        Files.delete(dir.resolve("model.safetensors"));
        assertRefused(dir, dir, "no model.safetensors or model.safetensors.index.json");
    }

    @Test void badJsonInTokenizer() throws IOException {
        Path dir = valid();
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        assertRefused(dir, dir.resolve("tokenizer.json"), "not valid JSON");
    }

    @Test void noTokenizer() throws IOException {
        Path dir = valid();
        Files.delete(dir.resolve("tokenizer.json"));
        assertRefused(dir, dir, "no tokenizer");
    }
}
