package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import io.loopus.worker.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Writes a plain Llama model (a llama2.c checkpoint, or a Hugging Face Llama) as a Hugging Face
 * Llama directory: {@code config.json}, {@code generation_config.json}, {@code model.safetensors},
 * {@code tokenizer.json} and {@code tokenizer_config.json}. Weights keep their dtype; q and k rows
 * of an INTERLEAVED-RoPE model are permuted to Hugging Face's rotate-half order. The directory
 * appears whole or not at all: it is written beside its destination and renamed into place.
 */
public final class HfExporter {
    private HfExporter() {}

    public static void export(LoadedModel loaded, Path out) {
        if (!(loaded.model() instanceof LlamaModel model)) {
            throw new ModelFormatException(loaded.modelPath(), "export --format hf writes plain Llama models; this is a "
                    + loaded.format() + " checkpoint, whose looped reasoning block has no Hugging Face Llama equivalent");
        }
        String problem = unsupported(model.config());
        if (problem != null) throw new ModelFormatException(loaded.modelPath(), problem);
        write(model.config(), model.weights(), loaded.tokenizer(), loaded.tokenizerPath(), out);
    }

    /**
     * Weights held in memory (a fine-tuned model, say) with the tokenizer that was loaded from
     * {@code tokenizerPath}; a model that is not plain Llama, or a tied config with an LM head of
     * its own (which would be dropped), is an IllegalArgumentException.
     */
    public static void export(LlamaConfig c, LlamaWeights w, Tokenizer tokenizer, Path tokenizerPath, Path out) {
        String problem = unsupported(c);
        if (problem != null) throw new IllegalArgumentException(problem);
        if (c.tiedEmbeddings() && w.lmHead() != w.embedding()) {
            throw new IllegalArgumentException("the config ties the LM head to the embedding, but the weights have a head "
                    + "of their own: untie the config, or it is lost");
        }
        write(c, w, tokenizer, tokenizerPath, out);
    }

    /** Why c has no Hugging Face Llama equivalent; null when it has one. */
    private static String unsupported(LlamaConfig c) {
        return c.qkvBias() || c.qkNorm() || c.ropeScaling() != null ? "export --format hf writes plain Llama models; this "
                + c.architecture() + " model has q/k/v biases, q/k norms or rope scaling" : null;
    }

    private static void write(LlamaConfig c, LlamaWeights w, Tokenizer tokenizer, Path tokenizerPath, Path out) {
        Path target = out.toAbsolutePath().normalize();
        checkTarget(target);
        try {
            AtomicFiles.writeDirectory(target, dir -> {
                writeJson(dir.resolve("config.json"), config(c, w));
                writeJson(dir.resolve("generation_config.json"), generationConfig(c));
                weights(c, w).write(dir.resolve("model.safetensors"));
                tokenizer(tokenizer, tokenizerPath, c, dir);
                checkTarget(target); // someone may have created it meanwhile
            });
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write the export: " + e.getMessage(), e);
        }
    }

    /** Refuses to replace anything but a missing path or an empty directory (callers may check before loading). */
    public static void checkTarget(Path target) {
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new IllegalArgumentException(target + ": exists and is not a directory");
        try (Stream<Path> s = Files.list(target)) {
            if (s.findAny().isPresent()) {
                throw new IllegalArgumentException(target + ": exists and is not empty (it is never overwritten: "
                        + "remove it or choose another --out)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot list: " + e.getMessage(), e);
        }
    }

    static ObjectNode config(LlamaConfig c, LlamaWeights w) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("hidden_size", c.dim());
        n.put("intermediate_size", c.hiddenDim());
        n.put("num_hidden_layers", c.layers());
        n.put("num_attention_heads", c.heads());
        n.put("num_key_value_heads", c.kvHeads());
        if (c.headDim() != c.dim() / c.heads()) n.put("head_dim", c.headDim());
        n.put("max_position_embeddings", c.contextLength());
        n.put("rms_norm_eps", Double.parseDouble(Float.toString(c.normEps()))); // 1e-5, not 9.99999974e-6
        n.put("rope_theta", c.ropeTheta());
        n.put("vocab_size", c.vocabSize());
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        n.put("hidden_act", "silu");
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
        if (c.bosId() >= 0) n.put("bos_token_id", c.bosId());
        if (c.eosIds().length > 0) n.put("eos_token_id", c.eosIds()[0]);
        n.put("torch_dtype", switch (w.embedding().dtype()) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return n;
    }

    static ObjectNode generationConfig(LlamaConfig c) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        if (c.bosId() >= 0) n.put("bos_token_id", c.bosId());
        ArrayNode eos = n.putArray("eos_token_id"); // llama2.c stops at </s> and at <s> (the next story)
        for (int id : c.eosIds()) eos.add(id);
        return n;
    }

    static SafetensorsWriter weights(LlamaConfig c, LlamaWeights w) {
        SafetensorsWriter st = new SafetensorsWriter();
        st.add("model.embed_tokens.weight", w.embedding());
        for (int l = 0; l < c.layers(); l++) HfLayerKeys.write(st, "model.layers." + l + ".", w.layers()[l], c);
        st.add("model.norm.weight", w.finalNorm());
        if (!c.tiedEmbeddings()) st.add("lm_head.weight", w.lmHead());
        return st;
    }

    /**
     * Into {@code dir}: tokenizer.json built from a llama2.c tokenizer (read from {@code src}), or
     * the Hugging Face tokenizer files beside {@code src} copied.
     */
    static void tokenizer(Tokenizer tok, Path src, LlamaConfig c, Path dir) throws IOException {
        if (tok instanceof Llama2cTokenizer l2c) {
            writeJson(dir.resolve("tokenizer.json"), HfTokenizerJson.fromLlama2c(l2c, src));
            ObjectNode tc = Json.MAPPER.createObjectNode();
            tc.put("tokenizer_class", "LlamaTokenizer");
            tc.put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>");
            tc.put("add_bos_token", true).put("add_eos_token", false);
            tc.put("model_max_length", c.contextLength());
            tc.put("clean_up_tokenization_spaces", false);
            writeJson(dir.resolve("tokenizer_config.json"), tc);
        } else {
            Files.copy(src, dir.resolve("tokenizer.json"));
            for (String extra : new String[] {"tokenizer_config.json", "special_tokens_map.json"}) {
                Path p = src.resolveSibling(extra);
                if (Files.isRegularFile(p)) Files.copy(p, dir.resolve(extra));
            }
        }
    }

    static void writeJson(Path file, JsonNode n) throws IOException {
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), n);
    }
}
