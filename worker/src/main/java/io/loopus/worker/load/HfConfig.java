package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeScaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads a Hugging Face {@code config.json} (and {@code generation_config.json}) into a {@link LlamaConfig}. */
public final class HfConfig {
    public static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2", "qwen3");

    private HfConfig() {}

    public static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "file not found");
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new ModelFormatException(file, "not a JSON object");
            return n;
        } catch (IOException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public static LlamaConfig parse(Path configFile, JsonNode c, JsonNode generation) {
        String type = c.path("model_type").asText("");
        if (!SUPPORTED.contains(type)) {
            throw new ModelFormatException(configFile, "unsupported architecture model_type \"" + type
                    + "\" (supported: llama, mistral, qwen2, qwen3)");
        }
        int dim = required(configFile, c, "hidden_size");
        int heads = required(configFile, c, "num_attention_heads");
        int kvHeads = c.path("num_key_value_heads").asInt(heads);
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : dim / heads;
        RopeScaling scaling = null;
        JsonNode rs = c.path("rope_scaling");
        if (rs.isObject()) {
            String kind = rs.path("rope_type").asText(rs.path("type").asText(""));
            double factor = rs.path("factor").asDouble(1.0);
            scaling = switch (kind) {
                case "linear" -> RopeScaling.linear(factor);
                case "llama3" -> RopeScaling.llama3(factor, rs.path("low_freq_factor").asDouble(1.0),
                        rs.path("high_freq_factor").asDouble(4.0),
                        rs.path("original_max_position_embeddings").asInt(8192));
                case "default" -> null;
                default -> throw new ModelFormatException(configFile, "unsupported rope_scaling type \"" + kind
                        + "\" (supported: linear, llama3)");
            };
        }
        boolean qwen2 = type.equals("qwen2");
        if (c.path("mlp_bias").asBoolean(false)) {
            throw new ModelFormatException(configFile, "\"mlp_bias\": true is not supported (MLPs without biases only)");
        }
        // Qwen2 always has q/k/v biases and no o_proj bias; elsewhere attention_bias adds all four.
        if (!qwen2 && c.path("attention_bias").asBoolean(false)) {
            throw new ModelFormatException(configFile, "\"attention_bias\": true is not supported for " + type
                    + " (it adds an o_proj bias, which loopus does not implement)");
        }
        int context = c.path("max_position_embeddings").asInt(2048);
        // Sliding-window attention (Mistral; Qwen when use_sliding_window): capping the context at the
        // window means no query ever has a key outside it, so every result stays exact; longer
        // sequences are refused by the context limit instead of being computed differently.
        JsonNode window = c.path("sliding_window");
        boolean slides = type.equals("mistral") || (type.startsWith("qwen") && c.path("use_sliding_window").asBoolean(false));
        if (slides && window.isIntegralNumber() && window.asInt() > 0 && window.asInt() < context) context = window.asInt();
        int bos = c.path("bos_token_id").asInt(generation.path("bos_token_id").asInt(-1));
        List<Integer> eos = new ArrayList<>();
        addIds(eos, generation.path("eos_token_id"));
        addIds(eos, c.path("eos_token_id"));
        try {
            return new LlamaConfig(type, dim, required(configFile, c, "intermediate_size"),
                    required(configFile, c, "num_hidden_layers"), heads, kvHeads, headDim,
                    required(configFile, c, "vocab_size"), context,
                    (float) c.path("rms_norm_eps").asDouble(1e-6), c.path("rope_theta").asDouble(10000.0), scaling,
                    RopeConvention.HALF, qwen2, type.equals("qwen3"),
                    c.path("tie_word_embeddings").asBoolean(false), bos,
                    eos.stream().mapToInt(Integer::intValue).toArray());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(configFile, e.getMessage());
        }
    }

    private static void addIds(List<Integer> out, JsonNode n) {
        if (n.isInt() && !out.contains(n.asInt())) out.add(n.asInt());
        if (n.isArray()) for (JsonNode x : n) if (x.isInt() && !out.contains(x.asInt())) out.add(x.asInt());
    }

    private static int required(Path file, JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new ModelFormatException(file, "missing or invalid \"" + key + "\" (a positive integer)");
        }
        return n.asInt();
    }
}
