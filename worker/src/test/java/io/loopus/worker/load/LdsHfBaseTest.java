package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static io.loopus.worker.load.LdsAssertions.assertSameConfig;
import static io.loopus.worker.load.LdsAssertions.assertSameLogits;
import static io.loopus.worker.load.LdsAssertions.assertSameWeights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Checkpoints from Hugging Face bases: their own config.json is kept, q/k/v biases and q/k norms travel. */
class LdsHfBaseTest {
    static final CpuBackend CPU = CpuBackend.INSTANCE;
    @TempDir Path tmp;

    @ParameterizedTest @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void aHuggingFaceBaseRoundTrips(String type) throws IOException {
        TinyHf.Spec s = new TinyHf.Spec(type, 32, 48, 3, 4, 2, 8, 40, true, 10000.0, 1e-6);
        Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 21);
        Path hf = TinyHf.write(tmp.resolve("hf"), s, w, DType.BF16);
        LoadedModel base = ModelLoader.load(hf, null, CPU);
        LlamaModel llama = (LlamaModel) base.model();
        LdsCheckpoint.Loaded initial = LdsCheckpoint.initial(llama.config(), llama.weights(), new Split(1, 2, 3), 3, 4)
                .withOrigin(LdsCheckpoint.Origin.of(hf));
        Path out = tmp.resolve("lds");
        LdsCheckpoint.write(initial, base.tokenizer(), base.tokenizerPath(), out);
        LdsCheckpoint.Loaded read = LdsCheckpoint.read(out);

        assertSameConfig(initial.base(), read.base());
        assertSameWeights(initial.weights(), read.weights(), null, null);
        LayerWeights layer = read.weights().base().layers()[1]; // the comparison above would also pass on two nulls
        if (type.equals("qwen2")) assertNotNull(layer.bk(), "k bias");
        if (type.equals("qwen3")) assertNotNull(layer.kNorm(), "k norm");
        JsonNode dict = read.origin().baseConfigDict();
        assertEquals(type, dict.path("model_type").asText());
        assertFalse(dict.path("tie_word_embeddings").asBoolean(true));
        LoopusModel a = initial.model(CPU), b = assertInstanceOf(LoopusModel.class, ModelLoader.load(out, null, CPU).model());
        for (ExitPolicy p : new ExitPolicy[] {a.exitPolicy(), ExitPolicy.fixed(3)}) {
            a.setExitPolicy(p);
            b.setExitPolicy(p);
            assertSameLogits(a, b, LdsForeignWriterTest.IDS, type + " " + p.strategy());
        }
    }
}
