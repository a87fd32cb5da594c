package io.loopus.worker.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.HalfFloats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small synthetic Hugging Face models for tests: random weights under HF names, written with
 * {@link SafetensorsWriter}, and a plain double-precision reference forward pass to check them against.
 */
final class TinyHf {
    private TinyHf() {}

    /** Shape of a tiny model; "qwen2" has q/k/v biases, "qwen3" per-head q/k RMSNorm. */
    record Spec(String type, int dim, int hidden, int layers, int heads, int kvHeads, int headDim, int vocab,
                boolean tied, double theta, double eps) {
        static Spec llama(boolean tied) {
            return new Spec("llama", 16, 40, 2, 4, 2, 4, 40, tied, 10000.0, 1e-5);
        }

        Spec withType(String t) {
            return new Spec(t, dim, hidden, layers, heads, kvHeads, headDim, vocab, tied, theta, eps);
        }

        boolean bias() { return type.equals("qwen2"); }

        boolean qkNorm() { return type.equals("qwen3"); }

        int qDim() { return heads * headDim; }

        int kvDim() { return kvHeads * headDim; }
    }

    /** One tensor: its shape and row-major values. */
    record T(long[] shape, float[] v) {
        int cols() { return (int) shape[shape.length - 1]; }
    }

    static Map<String, T> randomWeights(Spec s, long seed) {
        Random r = new Random(seed);
        Map<String, T> w = new LinkedHashMap<>();
        w.put("model.embed_tokens.weight", matrix(r, s.vocab(), s.dim(), 0.5));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", norm(r, s.dim()));
            w.put(p + "self_attn.q_proj.weight", matrix(r, s.qDim(), s.dim(), 0.4));
            w.put(p + "self_attn.k_proj.weight", matrix(r, s.kvDim(), s.dim(), 0.4));
            w.put(p + "self_attn.v_proj.weight", matrix(r, s.kvDim(), s.dim(), 0.4));
            if (s.bias()) {
                w.put(p + "self_attn.q_proj.bias", vector(r, s.qDim(), 0.5));
                w.put(p + "self_attn.k_proj.bias", vector(r, s.kvDim(), 0.5));
                w.put(p + "self_attn.v_proj.bias", vector(r, s.kvDim(), 0.5));
            }
            if (s.qkNorm()) {
                w.put(p + "self_attn.q_norm.weight", norm(r, s.headDim()));
                w.put(p + "self_attn.k_norm.weight", norm(r, s.headDim()));
            }
            w.put(p + "self_attn.o_proj.weight", matrix(r, s.dim(), s.qDim(), 0.3));
            w.put(p + "post_attention_layernorm.weight", norm(r, s.dim()));
            w.put(p + "mlp.gate_proj.weight", matrix(r, s.hidden(), s.dim(), 0.3));
            w.put(p + "mlp.up_proj.weight", matrix(r, s.hidden(), s.dim(), 0.3));
            w.put(p + "mlp.down_proj.weight", matrix(r, s.dim(), s.hidden(), 0.3));
        }
        w.put("model.norm.weight", norm(r, s.dim()));
        if (!s.tied()) w.put("lm_head.weight", matrix(r, s.vocab(), s.dim(), 0.5));
        return w;
    }

    private static T matrix(Random r, int rows, int cols, double scale) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) (scale * r.nextGaussian());
        return new T(new long[] {rows, cols}, v);
    }

    private static T vector(Random r, int n, double scale) {
        return new T(new long[] {n}, matrix(r, 1, n, scale).v());
    }

    private static T norm(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.2 * r.nextGaussian());
        return new T(new long[] {n}, v);
    }

    /** The same weights with every value rounded to {@code dtype}, as an F16/BF16 file stores them. */
    static Map<String, T> rounded(Map<String, T> w, DType dtype) {
        Map<String, T> out = new LinkedHashMap<>();
        w.forEach((name, t) -> {
            float[] v = t.v().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = dtype == DType.F16 ? HalfFloats.f16ToFloat(HalfFloats.floatToF16(v[i]))
                        : dtype == DType.BF16 ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i])) : v[i];
            }
            out.put(name, new T(t.shape(), v));
        });
        return out;
    }

    static ObjectNode config(Spec s) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", s.type());
        c.put("hidden_size", s.dim()).put("intermediate_size", s.hidden()).put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads()).put("num_key_value_heads", s.kvHeads());
        if (s.headDim() != s.dim() / s.heads()) c.put("head_dim", s.headDim());
        c.put("vocab_size", s.vocab()).put("max_position_embeddings", 64);
        c.put("rms_norm_eps", s.eps()).put("rope_theta", s.theta()).put("tie_word_embeddings", s.tied());
        c.put("bos_token_id", 1).put("eos_token_id", 2);
        return c;
    }

    /** config.json, a small tokenizer.json and model.safetensors with every tensor in {@code dtype}. */
    static Path write(Path dir, Spec s, Map<String, T> w, DType dtype) throws IOException {
        writeConfigAndTokenizer(dir, s);
        writer(w, dtype).write(dir.resolve("model.safetensors"));
        return dir;
    }

    static SafetensorsWriter writer(Map<String, T> w, DType dtype) {
        SafetensorsWriter st = new SafetensorsWriter();
        w.forEach((name, t) -> st.add(name, dtype, t.shape(), t.v()));
        return st;
    }

    /** The same model split over {@code shards} files with a model.safetensors.index.json. */
    static Path writeSharded(Path dir, Spec s, Map<String, T> w, int shards) throws IOException {
        writeConfigAndTokenizer(dir, s);
        List<SafetensorsWriter> writers = new ArrayList<>();
        for (int i = 0; i < shards; i++) writers.add(new SafetensorsWriter());
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", 0);
        ObjectNode map = index.putObject("weight_map");
        int i = 0;
        for (Map.Entry<String, T> e : w.entrySet()) {
            int shard = i++ % shards; // interleaved, so that every layer spans files
            writers.get(shard).add(e.getKey(), DType.F32, e.getValue().shape(), e.getValue().v());
            map.put(e.getKey(), shardName(shard, shards));
        }
        for (int k = 0; k < shards; k++) writers.get(k).write(dir.resolve(shardName(k, shards)));
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        return dir;
    }

    static String shardName(int k, int shards) {
        return String.format("model-%05d-of-%05d.safetensors", k + 1, shards);
    }

    static void writeConfigAndTokenizer(Path dir, Spec s) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config(s).toString());
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson());
    }

    /** A 29-token BPE tokenizer (specials and the letters a..z); enough for the loader. */
    static String tokenizerJson() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.putArray("added_tokens").addObject().put("id", 1).put("content", "<s>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        ObjectNode model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>");
        ObjectNode vocab = model.putObject("vocab");
        vocab.put("<unk>", 0).put("<s>", 1).put("</s>", 2);
        for (char ch = 'a'; ch <= 'z'; ch++) vocab.put(String.valueOf(ch), 3 + ch - 'a');
        model.putArray("merges");
        return root.toString();
    }

    /** Logits of every position, computed token by token in double precision straight from the definition. */
    static double[][] reference(Spec s, Map<String, T> w, int[] ids) {
        int n = ids.length, hd = s.headDim(), half = hd / 2, group = s.heads() / s.kvHeads();
        double[][][] keys = new double[s.layers()][n][], values = new double[s.layers()][n][];
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] x = row(w.get("model.embed_tokens.weight"), ids[t]);
            for (int l = 0; l < s.layers(); l++) {
                String p = "model.layers." + l + ".";
                double[] xn = rmsNorm(x, w.get(p + "input_layernorm.weight").v(), s.eps());
                double[] q = matVec(w.get(p + "self_attn.q_proj.weight"), xn);
                double[] k = matVec(w.get(p + "self_attn.k_proj.weight"), xn);
                double[] v = matVec(w.get(p + "self_attn.v_proj.weight"), xn);
                if (s.bias()) {
                    add(q, w.get(p + "self_attn.q_proj.bias").v());
                    add(k, w.get(p + "self_attn.k_proj.bias").v());
                    add(v, w.get(p + "self_attn.v_proj.bias").v());
                }
                for (int h = 0; h < s.heads(); h++) {
                    if (s.qkNorm()) normHead(q, h * hd, w.get(p + "self_attn.q_norm.weight").v(), s.eps());
                    rotateHalf(q, h * hd, half, t, s.theta());
                }
                for (int h = 0; h < s.kvHeads(); h++) {
                    if (s.qkNorm()) normHead(k, h * hd, w.get(p + "self_attn.k_norm.weight").v(), s.eps());
                    rotateHalf(k, h * hd, half, t, s.theta());
                }
                keys[l][t] = k;
                values[l][t] = v;
                double[] att = new double[s.qDim()];
                for (int h = 0; h < s.heads(); h++) {
                    int kv = (h / group) * hd;
                    double[] score = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int u = 0; u <= t; u++) {
                        for (int d = 0; d < hd; d++) score[u] += q[h * hd + d] * keys[l][u][kv + d];
                        score[u] /= Math.sqrt(hd);
                        max = Math.max(max, score[u]);
                    }
                    for (int u = 0; u <= t; u++) sum += score[u] = Math.exp(score[u] - max);
                    for (int u = 0; u <= t; u++) {
                        for (int d = 0; d < hd; d++) att[h * hd + d] += score[u] / sum * values[l][u][kv + d];
                    }
                }
                add(x, matVec(w.get(p + "self_attn.o_proj.weight"), att));
                xn = rmsNorm(x, w.get(p + "post_attention_layernorm.weight").v(), s.eps());
                double[] g = matVec(w.get(p + "mlp.gate_proj.weight"), xn), up = matVec(w.get(p + "mlp.up_proj.weight"), xn);
                for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * up[i];
                add(x, matVec(w.get(p + "mlp.down_proj.weight"), g));
            }
            double[] xn = rmsNorm(x, w.get("model.norm.weight").v(), s.eps());
            logits[t] = matVec(w.get(s.tied() ? "model.embed_tokens.weight" : "lm_head.weight"), xn);
        }
        return logits;
    }

    private static double[] row(T m, int r) {
        double[] out = new double[m.cols()];
        for (int j = 0; j < out.length; j++) out[j] = m.v()[r * m.cols() + j];
        return out;
    }

    private static double[] matVec(T m, double[] x) {
        int rows = (int) m.shape()[0], cols = m.cols();
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) y[i] += m.v()[i * cols + j] * x[j];
        return y;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    private static void add(double[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    private static double[] rmsNorm(double[] x, float[] w, double eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = w[i] * x[i] * scale;
        return out;
    }

    private static void normHead(double[] x, int off, float[] w, double eps) {
        double[] head = new double[w.length];
        System.arraycopy(x, off, head, 0, w.length);
        System.arraycopy(rmsNorm(head, w, eps), 0, x, off, w.length);
    }

    /** Hugging Face's rotate_half RoPE: channel i pairs with i + half. */
    private static void rotateHalf(double[] x, int off, int half, int pos, double theta) {
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(theta, -2.0 * i / (2 * half));
            double a = x[off + i], b = x[off + i + half];
            x[off + i] = a * Math.cos(angle) - b * Math.sin(angle);
            x[off + i + half] = a * Math.sin(angle) + b * Math.cos(angle);
        }
    }
}
