package io.loopus.worker.load;

import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** config.json settings the model cannot run exactly are refused; sliding windows cap the context. */
class HfConfigTest {
    static final Path FILE = Path.of("some/model/config.json");

    @TempDir Path tmp;

    static ObjectNode config(String type) {
        return TinyHf.config(new TinyHf.Spec(type, 16, 40, 2, 4, 2, 4, 40, true, 10000.0, 1e-5)); // 64 positions
    }

    static LlamaConfig parse(ObjectNode c) {
        return HfConfig.parse(FILE, c, MissingNode.getInstance());
    }

    static void assertRefused(ObjectNode c, String... words) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> parse(c));
        assertEquals(FILE, e.file());
        assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "\"" + w + "\" in: " + e.getMessage());
    }

    @Test void mlpBiasIsRefused() throws IOException {
        for (String type : HfConfig.SUPPORTED) assertRefused(config(type).put("mlp_bias", true), "\"mlp_bias\": true");
        assertEquals(64, parse(config("llama").put("mlp_bias", false)).contextLength());
        // and through the loader, before any weight is read
        TinyHf.Spec spec = TinyHf.Spec.llama(true);
        Path dir = TinyHf.write(tmp.resolve("m"), spec, TinyHf.randomWeights(spec, 1), DType.F32);
        Files.writeString(dir.resolve("config.json"), TinyHf.config(spec).put("mlp_bias", true).toString());
        HfBrokenInputTest.assertRefused(dir, dir.resolve("config.json"), "mlp_bias");
    }

    @Test void attentionBiasIsRefusedWhereItAddsAnOutputBias() {
        for (String type : new String[] {"llama", "mistral", "qwen3"}) {
            assertRefused(config(type).put("attention_bias", true), "\"attention_bias\": true", type, "o_proj");
            assertFalse(parse(config(type).put("attention_bias", false)).qkvBias(), type);
        }
        assertTrue(parse(config("qwen2")).qkvBias()); // Qwen2: q/k/v biases, never an o_proj bias
        assertTrue(parse(config("qwen2").put("attention_bias", true)).qkvBias());
    }

    @Test void aSlidingWindowSmallerThanTheContextCapsIt() {
        assertEquals(32, parse(config("mistral").put("sliding_window", 32)).contextLength());
        assertEquals(64, parse(config("mistral").putNull("sliding_window")).contextLength());
        assertEquals(64, parse(config("mistral").put("sliding_window", 4096)).contextLength());
        assertEquals(64, parse(config("mistral").put("sliding_window", 0)).contextLength());
        for (String qwen : new String[] {"qwen2", "qwen3"}) {
            assertEquals(64, parse(config(qwen).put("sliding_window", 32)).contextLength(), qwen);
            assertEquals(64, parse(config(qwen).put("sliding_window", 32).put("use_sliding_window", false)).contextLength());
            assertEquals(32, parse(config(qwen).put("sliding_window", 32).put("use_sliding_window", true)).contextLength());
        }
        assertEquals(64, parse(config("llama").put("sliding_window", 32)).contextLength()); // Llama has none
    }
}
