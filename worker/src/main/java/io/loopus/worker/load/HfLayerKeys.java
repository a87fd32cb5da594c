package io.loopus.worker.load;

import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;

/**
 * The Hugging Face names of one decoder layer's tensors under a prefix ({@code model.layers.3.}
 * in a Hugging Face directory, {@code reasoning.layers.0.} in a LoopUS checkpoint): the one place
 * that both the readers and the writers take them from. q/k/v biases and q/k norms are included
 * when the config says the model has them.
 */
final class HfLayerKeys {
    private HfLayerKeys() {}

    static LayerWeights read(TensorSource t, String p, LlamaConfig c) {
        int dim = c.dim(), hid = c.hiddenDim();
        boolean bias = c.qkvBias(), norm = c.qkNorm();
        return new LayerWeights(
                t.vector(p + "input_layernorm.weight", dim),
                t.matrix(p + "self_attn.q_proj.weight", c.qDim(), dim),
                t.matrix(p + "self_attn.k_proj.weight", c.kvDim(), dim),
                t.matrix(p + "self_attn.v_proj.weight", c.kvDim(), dim),
                t.matrix(p + "self_attn.o_proj.weight", dim, c.qDim()),
                bias ? t.vector(p + "self_attn.q_proj.bias", c.qDim()) : null,
                bias ? t.vector(p + "self_attn.k_proj.bias", c.kvDim()) : null,
                bias ? t.vector(p + "self_attn.v_proj.bias", c.kvDim()) : null,
                norm ? t.vector(p + "self_attn.q_norm.weight", c.headDim()) : null,
                norm ? t.vector(p + "self_attn.k_norm.weight", c.headDim()) : null,
                t.vector(p + "post_attention_layernorm.weight", dim),
                t.matrix(p + "mlp.gate_proj.weight", hid, dim),
                t.matrix(p + "mlp.down_proj.weight", dim, hid),
                t.matrix(p + "mlp.up_proj.weight", hid, dim));
    }

    /**
     * Adds one layer under prefix {@code p}. Weights keep their dtype, vectors are F32. An
     * INTERLEAVED-RoPE layer gets its q and k channels (rows, biases, per-head norms) in Hugging
     * Face's rotate-half order, so that it computes the same thing under the HALF convention.
     */
    static void write(SafetensorsWriter st, String p, LayerWeights lw, LlamaConfig c) {
        boolean permute = c.rope() == RopeConvention.INTERLEAVED;
        int[] qOrder = permute ? RopeConvention.interleavedToHalfRows(c.heads(), c.headDim()) : null;
        int[] kOrder = permute ? RopeConvention.interleavedToHalfRows(c.kvHeads(), c.headDim()) : null;
        int[] headOrder = permute ? RopeConvention.interleavedToHalfRows(1, c.headDim()) : null;
        st.add(p + "input_layernorm.weight", lw.attnNorm());
        st.add(p + "self_attn.q_proj.weight", lw.wq(), qOrder);
        if (lw.bq() != null) st.add(p + "self_attn.q_proj.bias", permuted(lw.bq(), qOrder));
        st.add(p + "self_attn.k_proj.weight", lw.wk(), kOrder);
        if (lw.bk() != null) st.add(p + "self_attn.k_proj.bias", permuted(lw.bk(), kOrder));
        st.add(p + "self_attn.v_proj.weight", lw.wv());
        if (lw.bv() != null) st.add(p + "self_attn.v_proj.bias", lw.bv());
        st.add(p + "self_attn.o_proj.weight", lw.wo());
        if (lw.qNorm() != null) st.add(p + "self_attn.q_norm.weight", permuted(lw.qNorm(), headOrder));
        if (lw.kNorm() != null) st.add(p + "self_attn.k_norm.weight", permuted(lw.kNorm(), headOrder));
        st.add(p + "post_attention_layernorm.weight", lw.ffnNorm());
        st.add(p + "mlp.gate_proj.weight", lw.w1());
        st.add(p + "mlp.up_proj.weight", lw.w3());
        st.add(p + "mlp.down_proj.weight", lw.w2());
    }

    /** out[r] = v[order[r]]; v itself when order is null. */
    private static float[] permuted(float[] v, int[] order) {
        if (order == null) return v;
        float[] out = new float[v.length];
        for (int r = 0; r < v.length; r++) out[r] = v[order[r]];
        return out;
    }
}
