package io.loopus.worker.load;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.TestData;
import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
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
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K exported to a Hugging Face directory and loaded back through the HF path. */
class StoriesHfExportTest {
    @TempDir static Path tmp;
    static LoadedModel l2c;
    static LoadedModel hf;
    static Path exported;

    /** Exports once; each test checks for the shared data itself, so that each is reported skipped without it. */
    @BeforeEach void export() {
        Path model = TestData.model();
        if (hf != null) return;
        l2c = ModelLoader.load(model, TestData.tokenizer(), CpuBackend.INSTANCE);
        exported = tmp.resolve("stories260K-hf");
        HfExporter.export(l2c, exported);
        hf = ModelLoader.load(exported, null, CpuBackend.INSTANCE);
    }

    @Test void loadsThroughTheHfPathWithTheExportedTokenizer() {
        assertTrue(hf.format().startsWith("huggingface"), hf.format());
        assertEquals(exported.resolve("tokenizer.json"), hf.tokenizerPath());
        assertInstanceOf(HfTokenizer.class, hf.tokenizer());
        assertEquals(RopeConvention.HALF, hf.model().config().rope());
        assertArrayEquals(new int[] {2, 1}, hf.model().config().eosIds());
    }

    @Test void greedyIdsOfTheGoldenPromptsMatchGolden() {
        for (JsonNode c : TestData.golden().path("cases")) {
            int[] prompt = hf.tokenizer().encode(c.path("prompt").asText(), true);
            assertArrayEquals(TestData.ints(c.path("prompt_ids")), prompt, c.path("prompt").asText());
            GenerationResult r = new Generator(hf.model()).generate(prompt, 80, SamplingParams.greedy(), null);
            int[] all = IntStream.concat(Arrays.stream(prompt), Arrays.stream(r.ids())).toArray();
            assertArrayEquals(TestData.ints(c.path("greedy_ids")), all, c.path("prompt").asText());
            assertEquals(c.path("greedy_text").asText(), hf.tokenizer().decode(all));
        }
    }

    @Test void logitsAfterTheLastPromptTokenMatchTheLlama2cPath() {
        for (JsonNode c : TestData.golden().path("cases")) {
            int[] ids = TestData.ints(c.path("prompt_ids"));
            float[] viaHf = new Generator(hf.model()).score(ids).lastLogits();
            float[] viaL2c = new Generator(l2c.model()).score(ids).lastLogits();
            float[] golden = floats(c.path("last_logits"));
            for (int i = 0; i < viaHf.length; i++) {
                assertEquals(viaL2c[i], viaHf[i], 1e-5, "logit " + i + " after " + c.path("prompt").asText());
                assertEquals(golden[i], viaHf[i], 2e-5, "golden logit " + i);
            }
        }
    }

    @Test void everyPositionMatchesOnALongerTextAndThePerplexityIsGolden() {
        JsonNode p = TestData.golden().path("perplexity").get(0);
        int[] ids = hf.tokenizer().encode(p.path("text").asText(), true);
        assertEquals(p.path("tokens").asInt(), ids.length);
        float[][] a = Llama2cFiles.logits(hf.model(), ids), b = Llama2cFiles.logits(l2c.model(), ids);
        // float32 rounding only: attention sums the permuted q/k channels in another order (measured 8e-6, a few ulps)
        assertTrue(Llama2cFiles.maxAbsDiff(a, b) <= 2e-5, "max |diff| " + Llama2cFiles.maxAbsDiff(a, b));
        assertEquals(p.path("mean_nll").asDouble(), new Generator(hf.model()).score(ids).nll(), 1e-5);
    }

    @Test void tokenizerJsonEncodesLikeTokenizerBin() throws IOException {
        List<String> texts = new ArrayList<>(List.of("", " ", "a", "Once upon a time",
                "Tom and his dog went to the park.", "  two leading spaces", "trailing spaces   ",
                "many     spaces  between", "line one\nline two\n\n\nafter blank lines\n", "tabs\tand\r\nCRLF",
                "naïve café, jalapeño — “quoted” ‘text’ … 10€ ™", "日本語のテキスト", "emoji 🙂🚀 and ZWJ 👩‍💻",
                "Ünïcödé at the start", "\u00a0non-breaking\u2009thin\u200aspaces", "<|endoftext|> is plain text here",
                "x".repeat(300), "The end.\n"));
        // real stories, cut into pieces of varied length
        String valid = Files.readString(TestData.stories().resolve("../../data/tinystories/valid.txt").normalize());
        for (int i = 0, len = 40; i < 30; i++, len = len * 7 % 900 + 20) texts.add(valid.substring(i * 9000, i * 9000 + len));
        Llama2cTokenizer bin = (Llama2cTokenizer) l2c.tokenizer();
        for (String t : texts) {
            assertArrayEquals(bin.encode(t, true), hf.tokenizer().encode(t, true), "BOS: " + t);
            assertArrayEquals(bin.encode(t, false), hf.tokenizer().encode(t, false), "no BOS: " + t);
        }
        assertTrue(Arrays.stream(bin.encode("日本語 🙂", false)).anyMatch(id -> id >= 3 && id < 259),
                "the non-ASCII sample needs byte fallback");
    }

    @Test void decodesLikeTokenizerBin() {
        int[] ids = new int[511];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + (i * 37) % 509; // every piece but <unk>, <s>, </s>
        int[] withBos = IntStream.concat(IntStream.of(1), Arrays.stream(ids)).toArray();
        assertEquals(l2c.tokenizer().decode(withBos), hf.tokenizer().decode(withBos));
        for (int id = 3; id < 512; id++) {
            assertArrayEquals(l2c.tokenizer().pieceBytes(5, id), hf.tokenizer().pieceBytes(5, id), "piece " + id);
            assertArrayEquals(l2c.tokenizer().pieceBytes(1, id), hf.tokenizer().pieceBytes(1, id), "after BOS " + id);
        }
    }

    @Test void djlAddsBosThroughThePostProcessorWhenAskedTo() throws IOException {
        try (HuggingFaceTokenizer djl = HuggingFaceTokenizer.builder().optTokenizerPath(exported.resolve("tokenizer.json"))
                .optAddSpecialTokens(true).build()) {
            long[] ids = djl.encode("Once upon a time").getIds();
            assertArrayEquals(new long[] {1, 403, 407, 261, 378}, ids);
            assertEquals("Once upon a time", djl.decode(ids, true)); // HF's own decoder: Strip drops the prefix space
        }
    }

    @Test void writesTheHuggingFaceLlamaLayout() {
        JsonNode c = HfConfig.readJson(exported.resolve("config.json"));
        assertEquals("llama", c.path("model_type").asText());
        assertEquals("LlamaForCausalLM", c.path("architectures").get(0).asText());
        int[] expect = {64, 172, 5, 8, 4, 512, 512, 1, 2};
        String[] keys = {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "max_position_embeddings", "vocab_size", "bos_token_id", "eos_token_id"};
        for (int i = 0; i < keys.length; i++) assertEquals(expect[i], c.path(keys[i]).asInt(), keys[i]);
        assertEquals(1e-5, c.path("rms_norm_eps").asDouble());
        assertEquals(10000.0, c.path("rope_theta").asDouble());
        assertTrue(c.path("tie_word_embeddings").asBoolean());
        assertEquals("float32", c.path("torch_dtype").asText());
        JsonNode g = HfConfig.readJson(exported.resolve("generation_config.json"));
        assertEquals(1, g.path("bos_token_id").asInt());
        assertEquals("[2,1]", g.path("eos_token_id").toString());
        try (SafetensorsFile st = SafetensorsFile.open(exported.resolve("model.safetensors"))) {
            Set<String> names = new TreeSet<>(List.of("model.embed_tokens.weight", "model.norm.weight"));
            for (int l = 0; l < 5; l++) {
                for (String s : List.of("input_layernorm", "post_attention_layernorm", "self_attn.q_proj",
                        "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                        "mlp.down_proj")) {
                    names.add("model.layers." + l + "." + s + ".weight");
                }
            }
            assertEquals(names, new TreeSet<>(st.entries().keySet())); // tied: no lm_head.weight
            st.entries().values().forEach(e -> assertEquals(DType.F32, e.dtype(), e.name()));
            assertArrayEquals(new long[] {32, 64}, st.entries().get("model.layers.0.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[] {172, 64}, st.entries().get("model.layers.0.mlp.up_proj.weight").shape());
            // q and k rows in rotate-half order; every other weight exactly as in the .bin
            LayerWeights src = ((LlamaModel) l2c.model()).weights().layers()[3];
            int[] qOrder = RopeConvention.interleavedToHalfRows(8, 8), kOrder = RopeConvention.interleavedToHalfRows(4, 8);
            assertRows(src.wq(), qOrder, st.matrix("model.layers.3.self_attn.q_proj.weight", 64, 64));
            assertRows(src.wk(), kOrder, st.matrix("model.layers.3.self_attn.k_proj.weight", 32, 64));
            assertRows(src.wv(), null, st.matrix("model.layers.3.self_attn.v_proj.weight", 32, 64));
            assertRows(src.w3(), null, st.matrix("model.layers.3.mlp.up_proj.weight", 172, 64));
            assertArrayEquals(src.ffnNorm(), st.vector("model.layers.3.post_attention_layernorm.weight", 64));
            assertFalse(Arrays.equals(qOrder, IntStream.range(0, 64).toArray()));
        }
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }

    private static void assertRows(Matrix src, int[] order, Matrix out) {
        for (int r = 0; r < out.rows(); r++) {
            for (int col = 0; col < out.cols(); col++) {
                assertEquals(src.get(order == null ? r : order[r], col), out.get(r, col), "row " + r + " col " + col);
            }
        }
    }

    @Test void reExportingTheHfDirectoryIsByteIdentical() throws IOException {
        Path again = tmp.resolve("again");
        HfExporter.export(hf, again); // HALF already: no second permutation; tokenizer.json copied
        for (String f : List.of("model.safetensors", "tokenizer.json", "config.json", "generation_config.json")) {
            assertArrayEquals(Files.readAllBytes(exported.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
    }
}
