package io.loopus.trainer.grad;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeTable;

import java.util.Arrays;

/**
 * One Llama-family decoder layer over a batch, forward and backward, with the math of the worker's
 * {@code LayerStack.runLayer}: pre-norm attention (q/k/v biases for Qwen2, per-head q/k RMSNorm
 * before RoPE for Qwen3, either RoPE convention, grouped-query heads) and a SwiGLU feed-forward,
 * each with its residual. One instance serves any number of layers and applications, each with
 * its own {@link Tape}; the backward scratch is shared, so one call at a time.
 */
public final class LayerGrad {
    /**
     * One application's saved activations (rows x width each): the input x, q and k after RoPE, v,
     * the attention output and its log-sum-exps, the state between the two residuals, the two
     * feed-forward projections, and the 1/rms of each norm; qRaw, kRaw (before the q/k norm) and
     * their 1/rms only when the layer has q/k norms. Normalised inputs and the SwiGLU product are
     * recomputed in the backward.
     */
    public record Tape(float[] x, float[] attnInvRms, float[] qRaw, float[] kRaw, float[] qInvRms, float[] kInvRms,
                       float[] q, float[] k, float[] v, float[] att, float[] lse, float[] mid, float[] ffnInvRms,
                       float[] gate, float[] up) {}

    private final LlamaConfig c;
    private final RopeTable rope;
    private final int capacity;
    private final int maxLength;
    private final int dim, qDim, kvDim, hidden;
    private final RmsNorm norm, headNorm;
    private final Linear wq, wk, wv, wo, w1, w2, w3;
    private final CausalAttention attention;
    // scratch: forward and backward
    private final float[] xn, tmp, act;
    private final float[] dXn, dMid, dAtt, dq, dk, dv, dqRaw, dkRaw, dAct, dGate, dUp;

    /** For batches of up to {@code sequences} sequences of up to {@code length} rows. */
    public LayerGrad(LlamaConfig config, RopeTable rope, int sequences, int length) {
        if (length > config.contextLength()) {
            throw new IllegalArgumentException("sequences of " + length + " rows exceed the context of " + config.contextLength());
        }
        this.c = config;
        this.rope = rope;
        this.capacity = sequences * length;
        this.maxLength = length;
        this.dim = config.dim();
        this.qDim = config.qDim();
        this.kvDim = config.kvDim();
        this.hidden = config.hiddenDim();
        this.norm = new RmsNorm(dim, config.normEps());
        this.headNorm = new RmsNorm(config.headDim(), config.normEps());
        this.wq = new Linear(dim, qDim);
        this.wk = new Linear(dim, kvDim);
        this.wv = new Linear(dim, kvDim);
        this.wo = new Linear(qDim, dim);
        this.w1 = new Linear(dim, hidden);
        this.w2 = new Linear(hidden, dim);
        this.w3 = new Linear(dim, hidden);
        this.attention = new CausalAttention(config.heads(), config.kvHeads(), config.headDim(), length);
        xn = rows(dim);
        tmp = rows(dim);
        act = rows(hidden);
        dXn = rows(dim);
        dMid = rows(dim);
        dAtt = rows(qDim);
        dq = rows(qDim);
        dk = rows(kvDim);
        dv = rows(kvDim);
        dqRaw = config.qkNorm() ? rows(qDim) : null;
        dkRaw = config.qkNorm() ? rows(kvDim) : null;
        dAct = rows(hidden);
        dGate = rows(hidden);
        dUp = rows(hidden);
    }

    public Tape newTape() {
        boolean qk = c.qkNorm();
        return new Tape(rows(dim), rows(1), qk ? rows(qDim) : null, qk ? rows(kvDim) : null,
                qk ? rows(c.heads()) : null, qk ? rows(c.kvHeads()) : null, rows(qDim), rows(kvDim), rows(kvDim),
                rows(qDim), rows(c.heads()), rows(dim), rows(1), rows(hidden), rows(hidden));
    }

    /** out = the layer applied to x (shape.rows() x dim); out may be x itself. */
    public void forward(LayerParams w, BatchShape shape, float[] x, Tape t, float[] out) {
        int n = fit(shape);
        System.arraycopy(x, 0, t.x(), 0, n * dim);
        // attention
        norm.forward(t.x(), n, dim, w.attnNorm(), xn, t.attnInvRms());
        wq.forward(xn, n, w.wq(), w.bq(), c.qkNorm() ? t.qRaw() : t.q());
        wk.forward(xn, n, w.wk(), w.bk(), c.qkNorm() ? t.kRaw() : t.k());
        wv.forward(xn, n, w.wv(), w.bv(), t.v());
        if (c.qkNorm()) {
            headNorm.forward(t.qRaw(), n, qDim, w.qNorm(), t.q(), t.qInvRms());
            headNorm.forward(t.kRaw(), n, kvDim, w.kNorm(), t.k(), t.kInvRms());
        }
        Rope.forward(rope, t.q(), shape, c.heads());
        Rope.forward(rope, t.k(), shape, c.kvHeads());
        attention.forward(t.q(), t.k(), t.v(), shape, t.att(), t.lse());
        wo.forward(t.att(), n, w.wo(), null, tmp);
        Residual.forward(t.x(), tmp, n * dim, t.mid());
        // feed-forward: w2(silu(w1 x) * w3 x)
        norm.forward(t.mid(), n, dim, w.ffnNorm(), xn, t.ffnInvRms());
        w1.forward(xn, n, w.w1(), null, t.gate());
        w3.forward(xn, n, w.w3(), null, t.up());
        SiluMul.forward(t.gate(), t.up(), n * hidden, act);
        w2.forward(act, n, w.w2(), null, tmp);
        Residual.forward(t.mid(), tmp, n * dim, out);
    }

    /**
     * From dOut (the gradient of the layer's output): dx += the gradient of its input (dx may be
     * null when not wanted, and must not be dOut) and the layer's weight gradients into grads.
     */
    public void backward(LayerParams w, BatchShape shape, Tape t, float[] dOut, float[] dx, LayerParams grads) {
        int n = fit(shape);
        // feed-forward
        System.arraycopy(dOut, 0, dMid, 0, n * dim); // the residual
        SiluMul.forward(t.gate(), t.up(), n * hidden, act);
        clear(dAct, n * hidden);
        w2.backward(act, dOut, n, w.w2(), dAct, grads.w2(), null);
        clear(dGate, n * hidden);
        clear(dUp, n * hidden);
        SiluMul.backward(t.gate(), t.up(), dAct, n * hidden, dGate, dUp);
        norm.apply(t.mid(), t.ffnInvRms(), n, dim, w.ffnNorm(), xn);
        clear(dXn, n * dim);
        w1.backward(xn, dGate, n, w.w1(), dXn, grads.w1(), null);
        w3.backward(xn, dUp, n, w.w3(), dXn, grads.w3(), null);
        norm.backward(t.mid(), t.ffnInvRms(), dXn, n, dim, w.ffnNorm(), dMid, grads.ffnNorm());
        // attention
        clear(dAtt, n * qDim);
        wo.backward(t.att(), dMid, n, w.wo(), dAtt, grads.wo(), null);
        clear(dq, n * qDim);
        clear(dk, n * kvDim);
        clear(dv, n * kvDim);
        attention.backward(t.q(), t.k(), t.v(), t.att(), t.lse(), dAtt, shape, dq, dk, dv);
        Rope.backward(rope, dq, shape, c.heads());
        Rope.backward(rope, dk, shape, c.kvHeads());
        float[] dqLin = dq, dkLin = dk;
        if (c.qkNorm()) {
            clear(dqRaw, n * qDim);
            clear(dkRaw, n * kvDim);
            headNorm.backward(t.qRaw(), t.qInvRms(), dq, n, qDim, w.qNorm(), dqRaw, grads.qNorm());
            headNorm.backward(t.kRaw(), t.kInvRms(), dk, n, kvDim, w.kNorm(), dkRaw, grads.kNorm());
            dqLin = dqRaw;
            dkLin = dkRaw;
        }
        norm.apply(t.x(), t.attnInvRms(), n, dim, w.attnNorm(), xn);
        clear(dXn, n * dim);
        wq.backward(xn, dqLin, n, w.wq(), dXn, grads.wq(), grads.bq());
        wk.backward(xn, dkLin, n, w.wk(), dXn, grads.wk(), grads.bk());
        wv.backward(xn, dv, n, w.wv(), dXn, grads.wv(), grads.bv());
        Residual.backward(dMid, n * dim, dx, null);
        norm.backward(t.x(), t.attnInvRms(), dXn, n, dim, w.attnNorm(), dx, grads.attnNorm());
    }

    private float[] rows(int width) { return new float[capacity * width]; }

    /** The shape's rows, once checked against the sizes this instance was built for. */
    private int fit(BatchShape shape) {
        if (shape.rows() > capacity || shape.length() > maxLength) {
            throw new IllegalArgumentException("batch of " + shape.sequences() + " x " + shape.length()
                    + "; this layer was sized for " + capacity + " rows of sequences up to " + maxLength);
        }
        return shape.rows();
    }

    private static void clear(float[] a, int n) { Arrays.fill(a, 0, n, 0f); }
}
