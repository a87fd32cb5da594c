package io.loopus.worker.model;

/**
 * Shape and numerics of a Llama-family decoder (Llama, Mistral, Qwen2, Qwen3).
 *
 * @param architecture   "llama", "mistral", "qwen2" or "qwen3"
 * @param headDim        per-head width (Qwen3 may differ from dim / heads)
 * @param ropeScaling    null when the model has none
 * @param qkvBias        q/k/v projections have biases (Qwen2)
 * @param qkNorm         per-head RMSNorm of q and k before RoPE (Qwen3)
 * @param eosIds         generation stops at any of these
 */
public record LlamaConfig(String architecture, int dim, int hiddenDim, int layers, int heads, int kvHeads,
                          int headDim, int vocabSize, int contextLength, float normEps, double ropeTheta,
                          RopeScaling ropeScaling, RopeConvention rope, boolean qkvBias, boolean qkNorm,
                          boolean tiedEmbeddings, int bosId, int[] eosIds) {

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("every dimension must be positive: dim=" + dim + " hidden=" + hiddenDim
                    + " layers=" + layers + " heads=" + heads + " kv_heads=" + kvHeads + " head_dim=" + headDim
                    + " vocab=" + vocabSize + " context=" + contextLength);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv heads (" + kvHeads + ")");
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
    }

    public int qDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    public boolean isEos(int token) {
        for (int e : eosIds) if (e == token) return true;
        return false;
    }
}
