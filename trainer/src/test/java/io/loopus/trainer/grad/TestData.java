package io.loopus.trainer.grad;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;

import java.util.Random;

/** Seeded random tensors and tiny model shapes for the gradient tests. */
final class TestData {
    private TestData() {}

    static float[] gaussian(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * r.nextGaussian());
        return v;
    }

    static float[] gaussian(Random r, int n) { return gaussian(r, n, 1); }

    /** 1 + N(0, 0.1^2): norm weights near their usual value. */
    static float[] nearOne(Random r, int n) {
        float[] v = gaussian(r, n, 0.1);
        for (int i = 0; i < n; i++) v[i] += 1;
        return v;
    }

    /**
     * Float32 rounding jitter of {@code sum_k c_k y_k} when each y_k went through a few rounded
     * float32 operations: 2^-20 (16 ulps) of the sum of absolute terms.
     */
    static double roundingNoise(float[] c, float[] y, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.abs((double) c[i] * y[i]);
        return 0x1p-20 * s;
    }

    /** Random weights for one layer of c: matrices N(0, 1/fan_in), norms near 1, biases N(0, 0.1^2). */
    static LayerParams layer(LlamaConfig c, Random r) {
        int dim = c.dim(), q = c.qDim(), kv = c.kvDim(), hid = c.hiddenDim();
        boolean b = c.qkvBias(), qk = c.qkNorm();
        return new LayerParams(nearOne(r, dim), matrix(r, q, dim), matrix(r, kv, dim), matrix(r, kv, dim), matrix(r, dim, q),
                b ? gaussian(r, q, 0.1) : null, b ? gaussian(r, kv, 0.1) : null, b ? gaussian(r, kv, 0.1) : null,
                qk ? nearOne(r, c.headDim()) : null, qk ? nearOne(r, c.headDim()) : null,
                nearOne(r, dim), matrix(r, hid, dim), matrix(r, dim, hid), matrix(r, hid, dim));
    }

    static float[] matrix(Random r, int rows, int cols) { return gaussian(r, rows * cols, 1 / Math.sqrt(cols)); }

    /** A small Llama-family shape: GQA when kvHeads < heads; headDim need not be dim / heads (as in Qwen3). */
    static LlamaConfig config(int dim, int hidden, int layers, int heads, int kvHeads, int headDim, int vocab,
                              RopeConvention rope, boolean qkvBias, boolean qkNorm) {
        return new LlamaConfig(qkNorm ? "qwen3" : qkvBias ? "qwen2" : "llama", dim, hidden, layers, heads, kvHeads, headDim,
                vocab, 64, 1e-5f, 10000.0, null, rope, qkvBias, qkNorm, false, 1, new int[] {2});
    }
}
