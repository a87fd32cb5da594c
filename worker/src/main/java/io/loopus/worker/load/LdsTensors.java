package io.loopus.worker.load;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Matrix;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code model.safetensors} of a LoopUS checkpoint: the reference model's state dict, where
 * each block numbers its own layers from 0 ({@code encoder.layers.{i}.}, {@code reasoning.layers.{j}.},
 * {@code decoder.layers.{k}.}, each with the Hugging Face layer keys), plus the embedding, the
 * final norm, the (always untied) LM head, the gate and the confidence head.
 */
final class LdsTensors {
    static final String EMBEDDING = "encoder.embed_tokens.weight";
    static final String FINAL_NORM = "decoder.norm.weight";
    static final String LM_HEAD = "decoder.lm_head.weight";
    static final String GATE_W_IN = "reasoning.gate.dt_input_proj.weight";
    static final String GATE_W_DELTA = "reasoning.gate.delta_proj.weight";
    static final String GATE_B_DELTA = "reasoning.gate.delta_proj.bias";
    static final String GATE_A_LOG = "reasoning.gate.A_log";
    static final String HEAD_NORM_WEIGHT = "q_head.0.weight";
    static final String HEAD_NORM_BIAS = "q_head.0.bias";
    static final String HEAD_WEIGHT = "q_head.1.weight";
    static final String HEAD_BIAS = "q_head.1.bias";
    private static final Pattern LAYER_KEY = Pattern.compile("^(encoder|reasoning|decoder)\\.layers\\.(\\d{1,9})\\.");

    private LdsTensors() {}

    /** The prefix of base layer {@code l}'s tensors. */
    static String layerPrefix(Split s, int l) {
        if (l < s.encoderEnd()) return "encoder.layers." + l + ".";
        if (l < s.decoderStart()) return "reasoning.layers." + (l - s.encoderEnd()) + ".";
        return "decoder.layers." + (l - s.decoderStart()) + ".";
    }

    static SafetensorsWriter writer(LlamaConfig c, LoopusWeights w, Split s) {
        SafetensorsWriter st = new SafetensorsWriter();
        LlamaWeights base = w.base();
        st.add(EMBEDDING, base.embedding());
        for (int l = 0; l < c.layers(); l++) {
            HfLayerKeys.write(st, layerPrefix(s, l), base.layers()[l], c);
            if (l == s.decoderStart() - 1) gate(st, w.gate()); // after the reasoning layers, as the state dict has it
        }
        st.add(FINAL_NORM, base.finalNorm());
        st.add(LM_HEAD, base.lmHead());
        ConfidenceHead h = w.head();
        st.add(HEAD_NORM_WEIGHT, h.normWeight());
        st.add(HEAD_NORM_BIAS, h.normBias());
        st.add(HEAD_WEIGHT, h.weight());
        st.add(HEAD_BIAS, new float[] {h.bias()});
        return st;
    }

    private static void gate(SafetensorsWriter st, GateWeights g) {
        st.add(GATE_A_LOG, g.aLog());
        st.add(GATE_W_DELTA, g.wDelta());
        st.add(GATE_B_DELTA, g.bDelta());
        st.add(GATE_W_IN, g.wIn());
    }

    /** Reads and checks every tensor; layers keep their dtype, the gate and head become F32. */
    static LoopusWeights read(Path file, LlamaConfig c, Split s) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            checkLayerCounts(f, s);
            int dim = c.dim(), k = GateWeights.rank(dim);
            Matrix emb = f.matrix(EMBEDDING, c.vocabSize(), dim);
            LayerWeights[] layers = new LayerWeights[c.layers()];
            for (int l = 0; l < layers.length; l++) layers[l] = HfLayerKeys.read(f, layerPrefix(s, l), c);
            LlamaWeights base = new LlamaWeights(emb, layers, f.vector(FINAL_NORM, dim), f.matrix(LM_HEAD, c.vocabSize(), dim));
            GateWeights gate = new GateWeights(f32(f.matrix(GATE_W_IN, k, dim)), f32(f.matrix(GATE_W_DELTA, dim, k)),
                    f.vector(GATE_B_DELTA, dim), f.vector(GATE_A_LOG, dim));
            ConfidenceHead head = new ConfidenceHead(f.vector(HEAD_NORM_WEIGHT, dim), f.vector(HEAD_NORM_BIAS, dim),
                    f32(f.matrix(HEAD_WEIGHT, 1, dim)), f.vector(HEAD_BIAS, 1)[0]);
            return new LoopusWeights(base, gate, head);
        }
    }

    /** A layer tensor numbered past its block's end means config.json and the weights disagree. */
    private static void checkLayerCounts(SafetensorsFile f, Split s) {
        for (String name : f.entries().keySet()) {
            Matcher m = LAYER_KEY.matcher(name);
            if (!m.find()) continue;
            String block = m.group(1);
            int size = switch (block) {
                case "encoder" -> s.encoderLayers();
                case "reasoning" -> s.reasoningLayers();
                default -> s.decoderLayers();
            };
            if (Long.parseLong(m.group(2)) >= size) {
                throw new ModelFormatException(f.file(), "tensor " + name + " is for a layer the config.json does not have: "
                        + "its " + block + "_layer_indices lists " + size + " layers");
            }
        }
    }

    /** F16/BF16 gate and head tensors widened to F32 (loopus computes them in F32). */
    private static F32Matrix f32(Matrix m) {
        if (m instanceof F32Matrix f) return f;
        float[] d = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.rowInto(r, d, r * m.cols());
        return new F32Matrix(m.rows(), m.cols(), d);
    }
}
