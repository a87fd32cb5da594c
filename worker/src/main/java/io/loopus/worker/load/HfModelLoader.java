package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.Matrix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Loads a Hugging Face Llama-family directory: {@code config.json}, {@code generation_config.json},
 * {@code model.safetensors} or a sharded {@code model.safetensors.index.json}. {@link ModelLoader}
 * finds its tokenizer.
 */
public final class HfModelLoader {
    private HfModelLoader() {}

    /** The model's shape, from {@code config.json} and {@code generation_config.json}. */
    static LlamaConfig config(Path dir) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFormatException(dir, "not a model directory: no config.json");
        }
        JsonNode c = HfConfig.readJson(configFile);
        Path genFile = dir.resolve("generation_config.json");
        JsonNode gen = Files.isRegularFile(genFile) ? HfConfig.readJson(genFile) : MissingNode.getInstance();
        return HfConfig.parse(configFile, c, gen);
    }

    /** The weights, from {@code model.safetensors} or the shards its index names. */
    static LlamaWeights weights(Path dir, LlamaConfig config) {
        List<SafetensorsFile> files = openShards(dir);
        try {
            return readWeights(config, new Tensors(tensorIndex(files), files.get(0)));
        } finally {
            files.forEach(SafetensorsFile::close);
        }
    }

    static List<SafetensorsFile> openShards(Path dir) {
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        List<SafetensorsFile> files = new ArrayList<>();
        if (Files.isRegularFile(single)) {
            files.add(SafetensorsFile.open(single));
            return files;
        }
        if (!Files.isRegularFile(index)) {
            throw new ModelFormatException(dir, "no model.safetensors or model.safetensors.index.json");
        }
        JsonNode map = HfConfig.readJson(index).path("weight_map");
        if (!map.isObject() || map.isEmpty()) throw new ModelFormatException(index, "no \"weight_map\" object, or an empty one");
        Map<String, SafetensorsFile> byName = new HashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shard = e.getValue().asText();
                if (!byName.containsKey(shard)) {
                    Path p = dir.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new ModelFormatException(index, "shard " + shard + " (for " + e.getKey() + ") is missing");
                    }
                    SafetensorsFile f = SafetensorsFile.open(p);
                    byName.put(shard, f);
                    files.add(f);
                }
                if (!byName.get(shard).has(e.getKey())) {
                    throw new ModelFormatException(dir.resolve(shard), "missing tensor " + e.getKey()
                            + " that the index places there");
                }
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return files;
    }

    /** Which file holds each tensor name. */
    private static Map<String, SafetensorsFile> tensorIndex(List<SafetensorsFile> files) {
        Map<String, SafetensorsFile> index = new HashMap<>();
        for (SafetensorsFile f : files) for (String name : f.entries().keySet()) index.put(name, f);
        return index;
    }

    private static LlamaWeights readWeights(LlamaConfig c, Tensors t) {
        Matrix emb = t.matrix("model.embed_tokens.weight", c.vocabSize(), c.dim());
        LayerWeights[] layers = new LayerWeights[c.layers()];
        for (int l = 0; l < c.layers(); l++) layers[l] = HfLayerKeys.read(t, "model.layers." + l + ".", c);
        float[] norm = t.vector("model.norm.weight", c.dim());
        Matrix head = c.tiedEmbeddings() ? emb : t.matrix("lm_head.weight", c.vocabSize(), c.dim());
        return new LlamaWeights(emb, layers, norm, head);
    }

    /** Tensor lookup across shards; a missing name is reported against the first file. */
    private record Tensors(Map<String, SafetensorsFile> index, SafetensorsFile first) implements TensorSource {
        SafetensorsFile file(String name) {
            return index.getOrDefault(name, first);
        }

        @Override public Matrix matrix(String name, int rows, int cols) {
            return file(name).matrix(name, rows, cols);
        }

        @Override public float[] vector(String name, int n) {
            return file(name).vector(name, n);
        }
    }
}
