package io.loopus.worker.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.loop.Split;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Inconsistent LoopUS checkpoints are refused with a message naming the file and the problem. */
class LdsBrokenCheckpointTest {
    /** 4 layers: encoder [0], reasoning [1, 2], decoder [3]. */
    static final Split SPLIT = new Split(1, 3, 4);
    @TempDir Path tmp;

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                bad("another model_type", c -> c.put("model_type", "llama"), "model_type is \"llama\"; a LoopUS checkpoint has \"lds\""),
                bad("no base_config_dict", c -> c.remove("base_config_dict"), "missing \"base_config_dict\""),
                bad("an unsupported base", c -> base(c).put("model_type", "gpt2"),
                        "base_config_dict: unsupported architecture model_type \"gpt2\""),
                bad("a base without layers", c -> base(c).remove("num_hidden_layers"),
                        "base_config_dict: missing or invalid \"num_hidden_layers\""),
                bad("hidden_size unlike the base's", c -> c.put("hidden_size", 48), "\"hidden_size\" is 48 but base_config_dict says 32"),
                bad("no decoder list", c -> c.remove("decoder_layer_indices"), "missing \"decoder_layer_indices\" (a list of layer indices)"),
                bad("a list that is not a list", c -> c.put("encoder_layer_indices", "0"),
                        "\"encoder_layer_indices\" is \"0\" (a list of layer indices)"),
                bad("overlapping blocks", c -> list(c, "encoder_layer_indices", 0, 1),
                        "layer 1 is in both encoder_layer_indices and reasoning_layer_indices"),
                bad("a gap", c -> list(c, "reasoning_layer_indices", 1), "layers [2] are in no block"),
                bad("a layer listed twice", c -> list(c, "reasoning_layer_indices", 1, 2, 2), "reasoning_layer_indices lists layer 2 twice"),
                bad("a layer the base lacks", c -> list(c, "decoder_layer_indices", 3, 4),
                        "decoder_layer_indices has 4, not a layer index of the base model (0..3)"),
                bad("a negative index", c -> list(c, "encoder_layer_indices", -1), "encoder_layer_indices has -1"),
                bad("a block in two runs", c -> {
                    list(c, "reasoning_layer_indices", 1, 3);
                    list(c, "decoder_layer_indices", 2);
                }, "not three contiguous runs in the order encoder, reasoning, decoder (layer 2 is in decoder_layer_indices)"),
                bad("blocks out of order", c -> {
                    list(c, "encoder_layer_indices", 3);
                    list(c, "decoder_layer_indices", 0);
                }, "not three contiguous runs in the order encoder, reasoning, decoder (layer 0 is in decoder_layer_indices)"),
                bad("an empty reasoning block", c -> {
                    list(c, "encoder_layer_indices", 0, 1);
                    list(c, "reasoning_layer_indices");
                    list(c, "decoder_layer_indices", 2, 3);
                }, "reasoning_layer_indices is empty"),
                bad("N = 0", c -> c.put("N", 0), "N (the number of loops) must be >= 1, got 0"),
                bad("no N", c -> c.remove("N"), "missing \"N\" (an integer)"),
                bad("a fractional N", c -> c.put("N", 2.5), "\"N\" is 2.5 (an integer)"),
                bad("halting fixed", c -> c.put("halting_strategy", "fixed"),
                        "halting_strategy \"fixed\" is not one of \"threshold\", \"cdf\", \"convergence\" (\"fixed\" is a run-time choice"),
                bad("halting foo", c -> c.put("halting_strategy", "foo"), "halting_strategy \"foo\" is not one of"),
                bad("q_eval_interval 0", c -> c.put("q_eval_interval", 0), "q_eval_interval must be >= 1, got 0"),
                bad("min_loops 0", c -> c.put("min_loops", 0), "min_loops must be in [1, N = 3], got 0"),
                bad("min_loops above N", c -> c.put("min_loops", 4), "min_loops must be in [1, N = 3], got 4"),
                bad("q_threshold above 1", c -> c.put("q_threshold", 1.5), "q_threshold must be in [0, 1], got 1.5"),
                bad("no q_threshold", c -> c.remove("q_threshold"), "missing \"q_threshold\" (a number)"),
                bad("convergence_epsilon 0", c -> c.put("convergence_epsilon", 0.0), "convergence_epsilon must be > 0"));
    }

    private static Arguments bad(String what, Consumer<ObjectNode> edit, String problem) {
        return arguments(what, edit, problem);
    }

    private static ObjectNode base(ObjectNode c) {
        return (ObjectNode) c.get("base_config_dict");
    }

    private static void list(ObjectNode c, String key, int... layers) {
        ArrayNode a = c.putArray(key);
        for (int l : layers) a.add(l);
    }

    @ParameterizedTest(name = "{0}") @MethodSource("badConfigs")
    void anInconsistentConfigIsRefusedNamingConfigJson(String what, Consumer<ObjectNode> edit, String problem) throws IOException {
        ForeignLds f = new ForeignLds(SPLIT);
        edit.accept(f.config);
        Path dir = f.write(tmp.resolve("ckpt"));
        assertRefused(dir.resolve("config.json"), problem, () -> LdsCheckpoint.read(dir));
    }

    static Stream<Arguments> badTensors() {
        int h = ForeignLds.SPEC.dim();
        return Stream.of(
                arguments("no A_log", (Consumer<ForeignLds>) f -> f.remove("reasoning.gate.A_log"), "missing tensor reasoning.gate.A_log"),
                arguments("A_log too short", (Consumer<ForeignLds>) f -> f.put("reasoning.gate.A_log",
                        ForeignLds.vector(h - 1, i -> 0), DType.F32), "tensor reasoning.gate.A_log has shape [31], expected [32]"),
                arguments("W_in transposed", (Consumer<ForeignLds>) f -> f.put("reasoning.gate.dt_input_proj.weight",
                        ForeignLds.matrix(h, 2, i -> 0), DType.F16),
                        "tensor reasoning.gate.dt_input_proj.weight has shape [32, 2], expected [2, 32]"),
                arguments("a 1-D q_head.1.weight", (Consumer<ForeignLds>) f -> f.put("q_head.1.weight",
                        ForeignLds.vector(h, i -> 0), DType.F32), "tensor q_head.1.weight has shape [32], expected [1, 32]"),
                arguments("a scalar q_head.1.bias", (Consumer<ForeignLds>) f -> f.put("q_head.1.bias",
                        new TinyHf.T(new long[0], new float[] {0}), DType.F32), "tensor q_head.1.bias has shape [], expected [1]"),
                arguments("no LM head (as a tied model would omit it)", (Consumer<ForeignLds>) f -> f.remove("decoder.lm_head.weight"),
                        "missing tensor decoder.lm_head.weight"),
                arguments("a layer tensor missing", (Consumer<ForeignLds>) f -> f.remove("reasoning.layers.1.mlp.up_proj.weight"),
                        "missing tensor reasoning.layers.1.mlp.up_proj.weight"),
                arguments("a layer tensor of the wrong shape", (Consumer<ForeignLds>) f -> f.put("decoder.layers.0.self_attn.k_proj.weight",
                        ForeignLds.matrix(h, h, i -> 0), DType.BF16),
                        "tensor decoder.layers.0.self_attn.k_proj.weight has shape [32, 32], expected [16, 32]"),
                arguments("more layers than config.json lists", (Consumer<ForeignLds>) f -> f.put("decoder.layers.1.input_layernorm.weight",
                        ForeignLds.vector(h, i -> 1), DType.F32),
                        "tensor decoder.layers.1.input_layernorm.weight is for a layer the config.json does not have: "
                                + "its decoder_layer_indices lists 1 layers"));
    }

    @ParameterizedTest(name = "{0}") @MethodSource("badTensors")
    void aMissingOrMisshapenTensorIsRefusedNamingModelSafetensors(String what, Consumer<ForeignLds> edit, String problem)
            throws IOException {
        ForeignLds f = new ForeignLds(SPLIT);
        edit.accept(f);
        Path dir = f.write(tmp.resolve("ckpt"));
        assertRefused(dir.resolve("model.safetensors"), problem, () -> LdsCheckpoint.read(dir));
    }

    @Test void noModelSafetensorsIsRefused() throws IOException {
        Path dir = new ForeignLds(SPLIT).write(tmp.resolve("ckpt"));
        Files.delete(dir.resolve("model.safetensors"));
        assertRefused(dir.resolve("model.safetensors"), "missing", () -> ModelLoader.load(dir, null, CpuBackend.INSTANCE));
    }

    @Test void theModelLoaderRefusesLikeTheReaderBeforeReadingWeights() throws IOException {
        ForeignLds f = new ForeignLds(SPLIT);
        f.config.put("N", 0);
        Path dir = f.write(tmp.resolve("ckpt"));
        Files.delete(dir.resolve("tokenizer.json")); // the config is checked first
        assertRefused(dir.resolve("config.json"), "N (the number of loops) must be >= 1", () -> ModelLoader.load(dir, null, CpuBackend.INSTANCE));
    }

    private static void assertRefused(Path file, String problem, Runnable read) {
        ModelFormatException e = assertThrows(ModelFormatException.class, read::run);
        assertEquals(file, e.file(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), "expected \"" + problem + "\" in: " + e.getMessage());
    }
}
