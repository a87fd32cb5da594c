package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.TestData;
import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.loopus.worker.load.LdsAssertions.assertSameConfig;
import static io.loopus.worker.load.LdsAssertions.assertSameLogits;
import static io.loopus.worker.load.LdsAssertions.assertSameMatrix;
import static io.loopus.worker.load.LdsAssertions.assertSameWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K turned into a LoopUS checkpoint by loopus, written, and read back. */
class StoriesLdsCheckpointTest {
    static final Split SPLIT = new Split(1, 4, 5);
    static final CpuBackend CPU = CpuBackend.INSTANCE;
    @TempDir static Path tmp;
    static LoadedModel l2c;
    static LdsCheckpoint.Loaded initial;
    static LdsCheckpoint.Loaded read;
    static Path dir;

    /** Writes once; each test checks for the shared data itself, so that each is reported skipped without it. */
    @BeforeEach void write() {
        Path model = TestData.model();
        if (read != null) return;
        l2c = ModelLoader.load(model, TestData.tokenizer(), CPU);
        LlamaModel base = (LlamaModel) l2c.model();
        initial = LdsCheckpoint.initial(base.config(), base.weights(), SPLIT, 4, 7)
                .withLoop(new LoopusConfig(SPLIT, 4, 0.75, 2, HaltingStrategy.CDF, 0.02, 3))
                .withOrigin(LdsCheckpoint.Origin.of(model));
        dir = tmp.resolve("stories-lds");
        LdsCheckpoint.write(initial, l2c.tokenizer(), l2c.tokenizerPath(), dir);
        read = LdsCheckpoint.read(dir);
    }

    @Test void everyConfigFieldReadsBack() {
        assertEquals(RopeConvention.INTERLEAVED, initial.base().rope());
        assertEquals(RopeConvention.HALF, read.base().rope()); // Hugging Face order on disk
        assertFalse(initial.base().tiedEmbeddings());
        assertSameConfig(initial.base(), read.base(), "rope");
        assertArrayEquals(new int[] {2, 1}, read.base().eosIds());
        assertEquals(initial.loop(), read.loop());
        assertEquals(TestData.model().toString(), read.origin().baseModelNameOrPath());
    }

    @Test void everyTensorReadsBackBitIdentically() {
        int[] q = RopeConvention.interleavedToHalfRows(8, 8), k = RopeConvention.interleavedToHalfRows(4, 8);
        assertSameWeights(initial.weights(), read.weights(), q, k);
        // the base ties its head to the embedding; the checkpoint's head is a copy of it
        LlamaModel base = (LlamaModel) l2c.model();
        assertTrue(base.config().tiedEmbeddings());
        assertNotSame(initial.weights().base().embedding(), initial.weights().base().lmHead());
        assertSameMatrix("lm_head", base.weights().embedding(), read.weights().base().lmHead(), null);
    }

    @Test void theReadBackModelGivesTheLogitsOfTheOneInMemoryBitForBit() {
        LoopusModel memory = initial.model(CPU), disk = read.model(CPU);
        LoopusModel viaLoader = (LoopusModel) ModelLoader.load(dir, null, CPU).model();
        for (ExitPolicy policy : List.of(initial.loop().exitPolicy(), ExitPolicy.fixed(4), ExitPolicy.fixed(1))) {
            for (LoopusModel m : List.of(memory, disk, viaLoader)) m.setExitPolicy(policy);
            for (int[] ids : prompts()) {
                assertSameLogits(memory, disk, ids, policy.strategy() + " " + policy.maxLoops() + " loops");
                assertSameLogits(memory, viaLoader, ids, "via ModelLoader, " + policy.strategy());
            }
        }
        int[] prompt = prompts().get(0);
        GenerationResult g1 = new Generator(initial.model(CPU)).generate(prompt, 40, SamplingParams.greedy(), null);
        GenerationResult g2 = new Generator(read.model(CPU)).generate(prompt, 40, SamplingParams.greedy(), null);
        assertArrayEquals(g1.ids(), g2.ids());
    }

    /** The attention sums q·k in RoPE pair order, so permuting q/k rows to rotate-half order changes no bit. */
    @Test void theRotateHalfBaseFromTheCheckpointEqualsTheLlama2cBaseBitForBit() {
        LlamaModel half = new LlamaModel(read.base(), read.weights().base(), CPU);
        for (int[] ids : prompts()) assertSameLogits(l2c.model(), half, ids, "base");
    }

    @Test void theInitialGateAndHeadFollowTheDesign() {
        GateWeights g = initial.weights().gate();
        assertEquals(4, g.wIn().rows()); // k = ceil(64/16)
        for (int i = 0; i < 64; i++) assertEquals((float) Math.log(i + 1), g.aLog()[i]);
        for (float w : g.wIn().data()) assertTrue(Math.abs(w) <= 0.125f, "W_in within 1/sqrt(H)");
        for (float w : g.wDelta().data()) assertTrue(Math.abs(w) <= 0.5f, "W_delta within k^-1/2");
        for (float b : g.bDelta()) {
            double dt = Math.log1p(Math.exp(b)); // softplus(b_delta) = dt
            assertTrue(dt >= 0.999e-3 && dt <= 1.001e-1, "dt " + dt);
        }
        ConfidenceHead h = initial.weights().head();
        for (int i = 0; i < 64; i++) {
            assertEquals(1f, h.normWeight()[i]);
            assertEquals(0f, h.normBias()[i]);
            assertTrue(Math.abs(h.weight().data()[i]) <= 0.125f);
        }
        assertTrue(Math.abs(h.bias()) <= 0.125f);
        LlamaModel base = (LlamaModel) l2c.model();
        LdsCheckpoint.Loaded again = LdsCheckpoint.initial(base.config(), base.weights(), SPLIT, 4, 7);
        LdsCheckpoint.Loaded other = LdsCheckpoint.initial(base.config(), base.weights(), SPLIT, 4, 8);
        assertArrayEquals(g.wIn().data(), again.weights().gate().wIn().data(), "same seed, same values");
        assertFalse(Arrays.equals(g.wIn().data(), other.weights().gate().wIn().data()), "another seed, other values");
        assertEquals(LoopusConfig.defaults(SPLIT, 4), again.loop());
    }

    @Test void writesTheReferenceLayout() {
        JsonNode c = HfConfig.readJson(dir.resolve("config.json"));
        assertEquals("lds", c.path("model_type").asText());
        assertEquals("[\"LDSForCausalLM\"]", c.path("architectures").toString());
        assertEquals("[0]", c.path("encoder_layer_indices").toString());
        assertEquals("[1,2,3]", c.path("reasoning_layer_indices").toString());
        assertEquals("[4]", c.path("decoder_layer_indices").toString());
        assertEquals(4, c.path("N").asInt());
        assertEquals(0.75, c.path("q_threshold").asDouble());
        assertEquals(2, c.path("q_eval_interval").asInt());
        assertEquals("cdf", c.path("halting_strategy").asText());
        assertEquals(0.02, c.path("convergence_epsilon").asDouble());
        assertEquals(64, c.path("hidden_size").asInt());
        assertEquals(512, c.path("vocab_size").asInt());
        JsonNode base = c.path("base_config_dict");
        assertEquals("llama", base.path("model_type").asText());
        assertEquals("LlamaForCausalLM", base.path("architectures").get(0).asText());
        assertEquals(5, base.path("num_hidden_layers").asInt());
        assertFalse(base.path("tie_word_embeddings").asBoolean(true));
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer_config.json")));
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Set<String> names = new TreeSet<>(List.of("encoder.embed_tokens.weight", "decoder.norm.weight",
                    "decoder.lm_head.weight", "reasoning.gate.dt_input_proj.weight", "reasoning.gate.delta_proj.weight",
                    "reasoning.gate.delta_proj.bias", "reasoning.gate.A_log", "q_head.0.weight", "q_head.0.bias",
                    "q_head.1.weight", "q_head.1.bias"));
            List<String> prefixes = new ArrayList<>(List.of("encoder.layers.0.", "decoder.layers.0."));
            for (int j = 0; j < 3; j++) prefixes.add("reasoning.layers." + j + ".");
            for (String p : prefixes) {
                for (String s : List.of("input_layernorm", "post_attention_layernorm", "self_attn.q_proj",
                        "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                        "mlp.down_proj")) {
                    names.add(p + s + ".weight");
                }
            }
            assertEquals(names, new TreeSet<>(st.entries().keySet()));
            st.entries().values().forEach(e -> assertEquals(DType.F32, e.dtype(), e.name()));
            long[][] shapes = {{4, 64}, {64, 4}, {64}, {64}, {1, 64}, {1}, {512, 64}, {32, 64}};
            String[] of = {"reasoning.gate.dt_input_proj.weight", "reasoning.gate.delta_proj.weight",
                "reasoning.gate.delta_proj.bias", "reasoning.gate.A_log", "q_head.1.weight", "q_head.1.bias",
                "decoder.lm_head.weight", "reasoning.layers.2.self_attn.k_proj.weight"};
            for (int i = 0; i < of.length; i++) assertArrayEquals(shapes[i], st.entries().get(of[i]).shape(), of[i]);
        }
    }

    @Test void loadsThroughModelLoaderWithItsTokenizer() {
        LoadedModel m = ModelLoader.load(dir, null, CPU);
        assertEquals("loopus lds (llama) split 1:4 N=4", m.format());
        assertInstanceOf(LoopusModel.class, m.model());
        assertInstanceOf(HfTokenizer.class, m.tokenizer());
        assertEquals(dir.resolve("tokenizer.json"), m.tokenizerPath());
        assertArrayEquals(l2c.tokenizer().encode("Once upon a time", true), m.tokenizer().encode("Once upon a time", true));
        assertEquals(HaltingStrategy.CDF, ((LoopusModel) m.model()).exitPolicy().strategy());
    }

    @Test void rewritingTheReadCheckpointIsByteIdentical() throws IOException {
        LoadedModel m = ModelLoader.load(dir, null, CPU);
        Path again = tmp.resolve("again");
        LdsCheckpoint.write(read, m.tokenizer(), m.tokenizerPath(), again); // HALF already: no second permutation
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
    }

    @Test void anExistingNonEmptyTargetIsRefusedAndLeftAlone() throws IOException {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LdsCheckpoint.write(read, null, null, dir));
        assertTrue(e.getMessage().startsWith(dir.toAbsolutePath() + ": exists and is not empty"), e.getMessage());
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    }

    /** The golden prompts and the perplexity text, as ids. */
    private static List<int[]> prompts() {
        List<int[]> out = new ArrayList<>();
        for (JsonNode c : TestData.golden().path("cases")) {
            int[] ids = TestData.ints(c.path("prompt_ids"));
            if (ids.length > 1) out.add(ids);
        }
        out.add(l2c.tokenizer().encode(TestData.golden().path("perplexity").get(0).path("text").asText(), true));
        return out;
    }
}
