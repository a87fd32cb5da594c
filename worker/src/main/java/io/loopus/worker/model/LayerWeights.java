package io.loopus.worker.model;

import io.loopus.worker.tensor.Matrix;

/**
 * One decoder layer. Biases and q/k norms are null when the architecture has none.
 * w1 = gate_proj, w2 = down_proj, w3 = up_proj (llama2.c names).
 */
public record LayerWeights(float[] attnNorm, Matrix wq, Matrix wk, Matrix wv, Matrix wo,
                           float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                           float[] ffnNorm, Matrix w1, Matrix w2, Matrix w3) {

    long bytes() {
        return wq.bytes() + wk.bytes() + wv.bytes() + wo.bytes() + w1.bytes() + w2.bytes() + w3.bytes()
                + 4L * (attnNorm.length + ffnNorm.length);
    }
}
