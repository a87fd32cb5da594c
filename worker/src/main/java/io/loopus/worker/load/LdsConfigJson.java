package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The {@code config.json} of a LoopUS checkpoint, as the reference's {@code LDSConfig} saves it:
 * {@code model_type "lds"}, the base model's Hugging Face config in {@code base_config_dict}, the
 * three blocks as lists of layer indices, and the loop's settings.
 */
final class LdsConfigJson {
    static final String MODEL_TYPE = "lds";
    private static final String[] BLOCKS = {"encoder_layer_indices", "reasoning_layer_indices", "decoder_layer_indices"};

    private LdsConfigJson() {}

    static ObjectNode write(LdsCheckpoint.Loaded ck) {
        LlamaConfig c = ck.base();
        LoopusConfig loop = ck.loop();
        Split s = loop.split();
        ObjectNode n = Json.MAPPER.createObjectNode(); // keys sorted, as PretrainedConfig writes them
        n.put("N", loop.loops());
        n.putArray("architectures").add("LDSForCausalLM");
        n.set("base_config_dict", baseConfigDict(ck));
        n.put("base_model_name_or_path", ck.origin().baseModelNameOrPath());
        n.put("convergence_epsilon", loop.convergenceEpsilon());
        indices(n.putArray("decoder_layer_indices"), s.decoderStart(), s.layers());
        indices(n.putArray("encoder_layer_indices"), 0, s.encoderEnd());
        n.put("halting_strategy", loop.halting().key());
        n.put("hidden_size", c.dim());
        n.put("min_loops", loop.minLoops());
        n.put("model_type", MODEL_TYPE);
        n.put("q_eval_interval", loop.qEvalInterval());
        n.put("q_threshold", loop.qThreshold());
        indices(n.putArray("reasoning_layer_indices"), s.encoderEnd(), s.decoderStart());
        n.put("vocab_size", c.vocabSize());
        return n;
    }

    /** The base's own config.json when known, else one synthesised for a plain Llama; never tied. */
    private static ObjectNode baseConfigDict(LdsCheckpoint.Loaded ck) {
        ObjectNode dict;
        if (ck.origin().baseConfigDict() != null) {
            dict = ck.origin().baseConfigDict().deepCopy();
        } else {
            LlamaConfig c = ck.base();
            if (c.qkvBias() || c.qkNorm() || c.ropeScaling() != null || !c.architecture().equals("llama")) {
                throw new IllegalArgumentException("cannot describe this " + c.architecture() + " base model in "
                        + "base_config_dict without its own config.json (only plain Llama configs are synthesised)");
            }
            dict = HfExporter.config(c, ck.weights().base());
        }
        dict.put("tie_word_embeddings", false); // as the reference: decoder.lm_head.weight is always its own tensor
        return dict;
    }

    private static void indices(ArrayNode a, int from, int to) {
        for (int i = from; i < to; i++) a.add(i);
    }

    /** What config.json says; {@code generation} is generation_config.json (or a missing node). */
    static LdsCheckpoint.Header parse(Path file, JsonNode root, JsonNode generation) {
        String type = root.path("model_type").asText("");
        if (!type.equals(MODEL_TYPE)) {
            throw new ModelFormatException(file, "model_type is \"" + type + "\"; a LoopUS checkpoint has \"lds\"");
        }
        ObjectNode dict = baseDict(file, root.get("base_config_dict"));
        LlamaConfig base;
        try {
            base = HfConfig.parse(file, dict, generation);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(file, "base_config_dict: " + e.problem(), e);
        }
        sameAsBase(file, root, "hidden_size", base.dim());
        sameAsBase(file, root, "vocab_size", base.vocabSize());
        Split split = split(file, root, base.layers());
        int loops = integer(file, root, "N", null);
        double tau = number(file, root, "q_threshold", null);
        if (!(tau >= 0 && tau <= 1)) throw new ModelFormatException(file, "q_threshold must be in [0, 1], got " + tau);
        // The reference added these three later and reads old configs with these defaults.
        int interval = integer(file, root, "q_eval_interval", 1);
        HaltingStrategy halting = halting(file, root.get("halting_strategy"));
        double epsilon = number(file, root, "convergence_epsilon", 1e-2);
        if (!(epsilon > 0)) throw new ModelFormatException(file, "convergence_epsilon must be > 0, got " + epsilon);
        if (loops < 1) throw new ModelFormatException(file, "N (the number of loops) must be >= 1, got " + loops);
        if (interval < 1) throw new ModelFormatException(file, "q_eval_interval must be >= 1, got " + interval);
        int minLoops = integer(file, root, "min_loops", 1); // a loopus addition
        if (minLoops < 1 || minLoops > loops) {
            throw new ModelFormatException(file, "min_loops must be in [1, N = " + loops + "], got " + minLoops);
        }
        String name = root.path("base_model_name_or_path").asText("");
        return new LdsCheckpoint.Header(base, new LoopusConfig(split, loops, tau, interval, halting, epsilon, minLoops),
                new LdsCheckpoint.Origin(name, dict));
    }

    /** base_config_dict, or its text_config for a composite (multimodal) config, as the reference does; untied. */
    private static ObjectNode baseDict(Path file, JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new ModelFormatException(file, "missing \"base_config_dict\" (the base model's Hugging Face config, an object)");
        }
        JsonNode text = n.path("text_config");
        ObjectNode dict = (!n.has("num_hidden_layers") && text.isObject() && text.has("num_hidden_layers")
                ? text : n).deepCopy();
        dict.put("tie_word_embeddings", false);
        return dict;
    }

    private static void sameAsBase(Path file, JsonNode root, String key, int expected) {
        JsonNode n = root.get(key);
        if (n != null && !(n.isIntegralNumber() && n.asLong() == expected)) {
            throw new ModelFormatException(file, "\"" + key + "\" is " + n + " but base_config_dict says " + expected);
        }
    }

    private static HaltingStrategy halting(Path file, JsonNode n) {
        if (n == null) return HaltingStrategy.THRESHOLD;
        for (HaltingStrategy s : HaltingStrategy.values()) {
            if (s != HaltingStrategy.FIXED && n.isTextual() && s.key().equals(n.asText())) return s;
        }
        throw new ModelFormatException(file, "halting_strategy " + n + " is not one of \"threshold\", \"cdf\", \"convergence\""
                + (n.asText().equals("fixed") ? " (\"fixed\" is a run-time choice, not stored in checkpoints)" : ""));
    }

    /** The three index lists as one split: together they must be layers 0..L-1 in three runs, in order. */
    private static Split split(Path file, JsonNode root, int layers) {
        int[][] blocks = new int[3][];
        for (int b = 0; b < 3; b++) blocks[b] = indexList(file, root, BLOCKS[b], layers);
        int[] owner = new int[layers];
        Arrays.fill(owner, -1);
        for (int b = 0; b < 3; b++) {
            for (int l : blocks[b]) {
                if (owner[l] >= 0) {
                    throw new ModelFormatException(file, "layer " + l + " is in both " + BLOCKS[owner[l]] + " and " + BLOCKS[b]);
                }
                owner[l] = b;
            }
        }
        int[] missing = IntStream.range(0, layers).filter(l -> owner[l] < 0).toArray();
        if (missing.length > 0) {
            throw new ModelFormatException(file, "layers " + Arrays.toString(missing) + " are in no block: the three index "
                    + "lists must cover layers 0.." + (layers - 1) + " of the base model");
        }
        if (blocks[1].length == 0) {
            throw new ModelFormatException(file, "reasoning_layer_indices is empty: the reasoning block needs at least one layer");
        }
        int e = blocks[0].length, d = e + blocks[1].length;
        for (int l = 0; l < layers; l++) {
            int expected = l < e ? 0 : l < d ? 1 : 2;
            if (owner[l] != expected) {
                throw new ModelFormatException(file, "the blocks are not three contiguous runs in the order encoder, "
                        + "reasoning, decoder (layer " + l + " is in " + BLOCKS[owner[l]] + "); loopus needs encoder "
                        + "[0,e), reasoning [e,d), decoder [d," + layers + ")");
            }
        }
        return new Split(e, d, layers);
    }

    /** A sorted list of distinct layer indices in [0, layers) (the reference sorts the lists too). */
    private static int[] indexList(Path file, JsonNode root, String key, int layers) {
        JsonNode n = root.get(key);
        if (n == null || !n.isArray()) {
            throw new ModelFormatException(file, (n == null ? "missing \"" + key + "\"" : "\"" + key + "\" is " + n)
                    + " (a list of layer indices)");
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : n) {
            if (!x.isIntegralNumber() || x.asLong() < 0 || x.asLong() >= layers) {
                throw new ModelFormatException(file, key + " has " + x + ", not a layer index of the base model (0.."
                        + (layers - 1) + ")");
            }
            if (out.contains(x.asInt())) throw new ModelFormatException(file, key + " lists layer " + x + " twice");
            out.add(x.asInt());
        }
        return out.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** An integer; a missing key is an error when there is no default. */
    private static int integer(Path file, JsonNode root, String key, Integer byDefault) {
        JsonNode n = root.get(key);
        if (n == null && byDefault != null) return byDefault;
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new ModelFormatException(file, (n == null ? "missing \"" + key + "\"" : "\"" + key + "\" is " + n)
                    + " (an integer)");
        }
        return n.asInt();
    }

    private static double number(Path file, JsonNode root, String key, Double byDefault) {
        JsonNode n = root.get(key);
        if (n == null && byDefault != null) return byDefault;
        if (n == null || !n.isNumber()) {
            throw new ModelFormatException(file, (n == null ? "missing \"" + key + "\"" : "\"" + key + "\" is " + n)
                    + " (a number)");
        }
        return n.asDouble();
    }
}
