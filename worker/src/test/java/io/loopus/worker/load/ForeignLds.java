package io.loopus.worker.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A LoopUS checkpoint as another writer (the reference's save_pretrained) would lay it out, built
 * by hand from names and values, independent of loopus' own writer: layers in BF16, the gate in
 * F16, the head in BF16 and F32, tensors in shuffled order, a base config that says tied (the head
 * is there anyway, as the reference always saves it). {@link #expected} is the same model built in memory.
 */
final class ForeignLds {
    /** dim 32 (gate rank 2), 4 layers, 4 heads of 8, 2 KV heads. */
    static final TinyHf.Spec SPEC = new TinyHf.Spec("llama", 32, 48, 4, 4, 2, 8, 40, true, 10000.0, 1e-5);
    static final int RANK = GateWeights.rank(SPEC.dim());

    final Split split;
    final Map<String, TinyHf.T> tensors = new LinkedHashMap<>();
    final Map<String, DType> dtypes = new LinkedHashMap<>();
    final ObjectNode config;

    ForeignLds(Split split) {
        this.split = split;
        Map<String, TinyHf.T> hf = TinyHf.randomWeights(SPEC, 11);
        hf.forEach((name, t) -> {
            String renamed = name.equals("model.embed_tokens.weight") ? "encoder.embed_tokens.weight"
                    : name.equals("model.norm.weight") ? "decoder.norm.weight" : layerName(name);
            put(renamed, t, DType.BF16);
        });
        Random r = new Random(5);
        put("decoder.lm_head.weight", matrix(SPEC.vocab(), SPEC.dim(), i -> (float) (0.5 * r.nextGaussian())), DType.BF16);
        int h = SPEC.dim();
        put("reasoning.gate.dt_input_proj.weight", matrix(RANK, h, i -> (float) (0.3 * Math.sin(0.7 * i + 0.1))), DType.F16);
        put("reasoning.gate.delta_proj.weight", matrix(h, RANK, i -> (float) (0.4 * Math.cos(1.3 * i))), DType.F16);
        put("reasoning.gate.delta_proj.bias", vector(h, i -> (float) (-2.5 + 0.1 * i)), DType.F16);
        put("reasoning.gate.A_log", vector(h, i -> (float) Math.log(1 + 0.25 * i) - 1.5f), DType.F16);
        put("q_head.0.weight", vector(h, i -> 1 + 0.01f * i), DType.BF16);
        put("q_head.0.bias", vector(h, i -> (float) (0.02 * Math.sin(i))), DType.BF16);
        put("q_head.1.weight", matrix(1, h, i -> (float) (0.2 * Math.cos(0.5 * i))), DType.F32);
        put("q_head.1.bias", vector(1, i -> 0.375f), DType.F32);

        config = new ObjectMapper().createObjectNode(); // keys in no particular order, a few extra ones
        config.put("q_eval_interval", 2);
        config.putArray("reasoning_layer_indices");
        config.put("halting_strategy", "cdf");
        config.put("transformers_version", "4.57.1");
        config.set("base_config_dict", TinyHf.config(SPEC).put("torch_dtype", "bfloat16").put("_name_or_path", "tiny"));
        config.putArray("decoder_layer_indices");
        config.put("N", 3);
        config.put("model_type", "lds");
        config.putArray("encoder_layer_indices");
        config.put("convergence_epsilon", 0.03125);
        config.put("q_threshold", 0.625);
        config.put("base_model_name_or_path", "someone/tiny-llama");
        config.put("hidden_size", h).put("vocab_size", SPEC.vocab());
        config.putArray("architectures").add("LDSForCausalLM");
        for (int l = split.layers() - 1; l >= 0; l--) { // descending: the reader sorts, as the reference does
            String key = l < split.encoderEnd() ? "encoder_layer_indices"
                    : l < split.decoderStart() ? "reasoning_layer_indices" : "decoder_layer_indices";
            ((ArrayNode) config.get(key)).add(l);
        }
    }

    /** model.layers.{l}.rest as the block that owns layer l numbers it. */
    private String layerName(String name) {
        String[] parts = name.split("\\.", 4); // model, layers, l, rest
        int l = Integer.parseInt(parts[2]);
        String block = l < split.encoderEnd() ? "encoder" : l < split.decoderStart() ? "reasoning" : "decoder";
        int first = l < split.encoderEnd() ? 0 : l < split.decoderStart() ? split.encoderEnd() : split.decoderStart();
        return block + ".layers." + (l - first) + "." + parts[3];
    }

    void put(String name, TinyHf.T t, DType dtype) {
        tensors.put(name, t);
        dtypes.put(name, dtype);
    }

    void remove(String name) {
        tensors.remove(name);
        dtypes.remove(name);
    }

    interface Values {
        float at(int i);
    }

    static TinyHf.T matrix(int rows, int cols, Values v) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < out.length; i++) out[i] = v.at(i);
        return new TinyHf.T(new long[] {rows, cols}, out);
    }

    static TinyHf.T vector(int n, Values v) {
        return new TinyHf.T(new long[] {n}, matrix(1, n, v).v());
    }

    /** config.json, tokenizer.json and model.safetensors, tensors in a shuffled order. */
    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toPrettyString());
        Files.writeString(dir.resolve("tokenizer.json"), TinyHf.tokenizerJson());
        writeTensors(dir.resolve("model.safetensors"));
        return dir;
    }

    void writeTensors(Path file) {
        List<String> names = new ArrayList<>(tensors.keySet());
        Collections.shuffle(names, new Random(3));
        SafetensorsWriter st = new SafetensorsWriter();
        for (String n : names) st.add(n, dtypes.get(n), tensors.get(n).shape(), tensors.get(n).v());
        st.write(file);
    }

    /** The model the files describe, built in memory: the same dtypes and the same rounded values. */
    LdsCheckpoint.Loaded expected() {
        LlamaConfig c = new LlamaConfig("llama", SPEC.dim(), SPEC.hidden(), SPEC.layers(), SPEC.heads(), SPEC.kvHeads(),
                SPEC.headDim(), SPEC.vocab(), 64, 1e-5f, 10000.0, null, RopeConvention.HALF, false, false, false, 1,
                new int[] {2});
        LayerWeights[] layers = new LayerWeights[SPEC.layers()];
        for (int l = 0; l < layers.length; l++) {
            String p = layerName("model.layers." + l + ".x").replaceAll("x$", "");
            layers[l] = new LayerWeights(vec(p + "input_layernorm.weight"), mat(p + "self_attn.q_proj.weight"),
                    mat(p + "self_attn.k_proj.weight"), mat(p + "self_attn.v_proj.weight"), mat(p + "self_attn.o_proj.weight"),
                    null, null, null, null, null, vec(p + "post_attention_layernorm.weight"), mat(p + "mlp.gate_proj.weight"),
                    mat(p + "mlp.down_proj.weight"), mat(p + "mlp.up_proj.weight"));
        }
        LlamaWeights base = new LlamaWeights(mat("encoder.embed_tokens.weight"), layers, vec("decoder.norm.weight"),
                mat("decoder.lm_head.weight"));
        GateWeights gate = new GateWeights(f32("reasoning.gate.dt_input_proj.weight"), f32("reasoning.gate.delta_proj.weight"),
                vec("reasoning.gate.delta_proj.bias"), vec("reasoning.gate.A_log"));
        ConfidenceHead head = new ConfidenceHead(vec("q_head.0.weight"), vec("q_head.0.bias"), f32("q_head.1.weight"),
                vec("q_head.1.bias")[0]);
        LoopusConfig loop = new LoopusConfig(split, 3, 0.625, 2, HaltingStrategy.CDF, 0.03125);
        return new LdsCheckpoint.Loaded(c, new LoopusWeights(base, gate, head), loop, LdsCheckpoint.Origin.NONE);
    }

    /** A matrix in its file dtype. */
    private Matrix mat(String name) {
        TinyHf.T t = tensors.get(name);
        int rows = (int) t.shape()[0], cols = (int) t.shape()[1];
        DType d = dtypes.get(name);
        if (d == DType.F32) return new F32Matrix(rows, cols, t.v().clone());
        short[] bits = new short[t.v().length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = d == DType.BF16 ? HalfFloats.floatToBf16(t.v()[i]) : HalfFloats.floatToF16(t.v()[i]);
        }
        return new HalfMatrix(rows, cols, bits, d);
    }

    /** A matrix's stored values widened to F32. */
    private F32Matrix f32(String name) {
        Matrix m = mat(name);
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.rowInto(r, out, r * m.cols());
        return new F32Matrix(m.rows(), m.cols(), out);
    }

    /** A vector's stored values widened to F32. */
    private float[] vec(String name) {
        TinyHf.T t = tensors.get(name);
        float[] out = t.v().clone();
        DType d = dtypes.get(name);
        for (int i = 0; i < out.length; i++) {
            if (d == DType.BF16) out[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(out[i]));
            if (d == DType.F16) out[i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(out[i]));
        }
        return out;
    }
}
