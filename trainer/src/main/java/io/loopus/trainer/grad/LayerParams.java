package io.loopus.trainer.grad;

import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Matrix;

import java.util.Map;

/**
 * One decoder layer's tensors in F32, shaped like {@link LayerWeights} (matrices out x in,
 * row-major): the trainable weights, or their gradients. Biases and q/k norms are null when the
 * architecture has none.
 */
public record LayerParams(float[] attnNorm, float[] wq, float[] wk, float[] wv, float[] wo,
                          float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                          float[] ffnNorm, float[] w1, float[] w2, float[] w3) {

    /** An F32 copy of a layer in any dtype. */
    public static LayerParams copyOf(LayerWeights w) {
        return new LayerParams(clone(w.attnNorm()), decode(w.wq()), decode(w.wk()), decode(w.wv()), decode(w.wo()),
                clone(w.bq()), clone(w.bk()), clone(w.bv()), clone(w.qNorm()), clone(w.kNorm()),
                clone(w.ffnNorm()), decode(w.w1()), decode(w.w2()), decode(w.w3()));
    }

    /** Zeros of the same shapes (a gradient buffer). */
    public LayerParams zerosLike() {
        return new LayerParams(zeros(attnNorm), zeros(wq), zeros(wk), zeros(wv), zeros(wo), zeros(bq), zeros(bk),
                zeros(bv), zeros(qNorm), zeros(kNorm), zeros(ffnNorm), zeros(w1), zeros(w2), zeros(w3));
    }

    /** Inference weights over these very arrays (no copy): what the worker runs after an update. */
    public LayerWeights toWeights() {
        int dim = attnNorm.length, hidden = w1.length / dim;
        return new LayerWeights(attnNorm, new F32Matrix(wq.length / dim, dim, wq), new F32Matrix(wk.length / dim, dim, wk),
                new F32Matrix(wv.length / dim, dim, wv), new F32Matrix(dim, wo.length / dim, wo), bq, bk, bv, qNorm, kNorm,
                ffnNorm, new F32Matrix(hidden, dim, w1), new F32Matrix(dim, hidden, w2), new F32Matrix(hidden, dim, w3));
    }

    /** Adds the non-null tensors under {@code prefix.name}, in a fixed order. */
    public void putInto(String prefix, Map<String, float[]> out) {
        String[] names = {"attn_norm", "wq", "wk", "wv", "wo", "bq", "bk", "bv", "q_norm", "k_norm", "ffn_norm", "w1", "w2", "w3"};
        float[][] values = {attnNorm, wq, wk, wv, wo, bq, bk, bv, qNorm, kNorm, ffnNorm, w1, w2, w3};
        for (int i = 0; i < names.length; i++) if (values[i] != null) out.put(prefix + "." + names[i], values[i]);
    }

    static float[] decode(Matrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.rowInto(r, out, r * m.cols());
        return out;
    }

    private static float[] clone(float[] a) { return a == null ? null : a.clone(); }

    static float[] zeros(float[] a) { return a == null ? null : new float[a.length]; }
}
