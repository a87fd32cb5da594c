package io.loopus.worker.model;

import io.loopus.worker.tensor.Matrix;

/** All weights of a Llama-family model; {@code lmHead} is the embedding itself when tied. */
public record LlamaWeights(Matrix embedding, LayerWeights[] layers, float[] finalNorm, Matrix lmHead) {

    /** Bytes of weights read to produce one token (every layer, the final norm and the head). */
    public long bytesPerToken() {
        long b = 4L * finalNorm.length + lmHead.bytes();
        for (LayerWeights l : layers) b += l.bytes();
        return b;
    }
}
