package io.loopus.worker.model;

import io.loopus.worker.tensor.AttentionShape;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

/**
 * A Llama-family decoder on one backend. {@link #forward} runs one step over a {@link Batch}:
 * any mix of prompt chunks and decode tokens of different sequences, each row attending to its
 * own sequence in the paged KV cache. Activations live in buffers reused across steps.
 *
 * <p>Not thread-safe: one step at a time (a stage actor owns its model).
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Backend backend;
    private final RopeTable rope;
    private final AttentionShape attentionShape;
    private Buffers buffers;
    private Tensor logitsIn, logits; // sized by the rows that want logits, not by the batch

    private int[][] blockTables = new int[16][];
    private int[] logitRowIndex = new int[16];

    public LlamaModel(LlamaConfig config, LlamaWeights weights, Backend backend) {
        this.config = config;
        this.weights = weights;
        this.backend = backend;
        this.rope = new RopeTable(config);
        this.attentionShape = new AttentionShape(config.heads(), config.kvHeads(), config.headDim(), rope.pairOrder());
    }

    public LlamaConfig config() { return config; }

    public LlamaWeights weights() { return weights; }

    public Backend backend() { return backend; }

    public PagedKvCache newCache(int capacityTokens) {
        return new PagedKvCache(config, capacityTokens);
    }

    /** Activation buffers for up to {@code capacity} rows. */
    private static final class Buffers {
        final int capacity;
        final Tensor x, xb, q, k, v, att, hb, hb2;

        Buffers(Backend b, LlamaConfig c, int capacity) {
            this.capacity = capacity;
            x = b.allocate(capacity, c.dim());
            xb = b.allocate(capacity, c.dim());
            q = b.allocate(capacity, c.qDim());
            k = b.allocate(capacity, c.kvDim());
            v = b.allocate(capacity, c.kvDim());
            att = b.allocate(capacity, c.qDim());
            hb = b.allocate(capacity, c.hiddenDim());
            hb2 = b.allocate(capacity, c.hiddenDim());
        }
    }

    private Buffers buffers(int rows) {
        if (buffers == null || buffers.capacity < rows) {
            int capacity = Math.max(rows, buffers == null ? 1 : 2 * buffers.capacity);
            buffers = new Buffers(backend, config, capacity);
            blockTables = new int[capacity][];
            logitRowIndex = new int[capacity];
        }
        return buffers;
    }

    /**
     * Runs one step. Grows each sequence in the cache to cover its positions, writes their keys
     * and values, and returns the logits of the rows that asked for them, in row order
     * ({@code batch.logitRows()} rows of {@code vocabSize}), or null when none asked.
     */
    public Tensor forward(Batch batch, PagedKvCache cache) {
        int n = batch.size;
        if (n == 0) throw new IllegalArgumentException("empty batch");
        Buffers b = buffers(n);
        for (int t = 0; t < n; t++) {
            int pos = batch.positions[t];
            if (pos < 0 || pos >= config.contextLength()) {
                throw new IllegalArgumentException("position " + pos + " outside the context of "
                        + config.contextLength() + " tokens");
            }
            int token = batch.tokens[t];
            if (token < 0 || token >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + config.vocabSize());
            }
            if (cache.length(batch.sequences[t]) < pos + 1) cache.grow(batch.sequences[t], pos + 1);
        }
        for (int t = 0; t < n; t++) blockTables[t] = cache.blockTable(batch.sequences[t]);

        backend.embed(weights.embedding(), batch.tokens, n, b.x);
        for (int l = 0; l < config.layers(); l++) layer(l, weights.layers()[l], batch, n, b, cache);

        int m = 0;
        for (int t = 0; t < n; t++) if (batch.wantLogits[t]) logitRowIndex[m++] = t;
        if (m == 0) return null;
        if (logits == null || logits.rows() < m) {
            int rows = Math.max(m, logits == null ? 1 : 2 * logits.rows());
            logitsIn = backend.allocate(rows, config.dim());
            logits = backend.allocate(rows, config.vocabSize());
        }
        backend.gatherRows(b.x, logitRowIndex, m, logitsIn);
        backend.rmsNorm(logitsIn, m, weights.finalNorm(), config.normEps(), logitsIn);
        backend.matmul(logitsIn, m, weights.lmHead(), logits);
        return logits;
    }

    private void layer(int l, LayerWeights w, Batch batch, int n, Buffers b, PagedKvCache cache) {
        // attention
        backend.rmsNorm(b.x, n, w.attnNorm(), config.normEps(), b.xb);
        backend.matmul(b.xb, n, w.wq(), b.q);
        backend.matmul(b.xb, n, w.wk(), b.k);
        backend.matmul(b.xb, n, w.wv(), b.v);
        if (w.bq() != null) {
            backend.addBias(b.q, n, w.bq());
            backend.addBias(b.k, n, w.bk());
            backend.addBias(b.v, n, w.bv());
        }
        if (w.qNorm() != null) {
            backend.rmsNorm(b.q, n, w.qNorm(), config.normEps(), b.q);
            backend.rmsNorm(b.k, n, w.kNorm(), config.normEps(), b.k);
        }
        backend.rope(b.q, n, batch.positions, rope);
        backend.rope(b.k, n, batch.positions, rope);
        backend.storeKv(b.k, b.v, n, blockTables, batch.positions, cache, l);
        backend.attention(b.q, n, attentionShape, blockTables, batch.positions,
                cache, l, b.att);
        backend.matmul(b.att, n, w.wo(), b.xb);
        backend.add(b.x, b.xb, n);
        // feed-forward: w2(silu(w1 x) * w3 x)
        backend.rmsNorm(b.x, n, w.ffnNorm(), config.normEps(), b.xb);
        backend.matmul(b.xb, n, w.w1(), b.hb);
        backend.matmul(b.xb, n, w.w3(), b.hb2);
        backend.siluMul(b.hb, b.hb2, n);
        backend.matmul(b.hb, n, w.w2(), b.xb);
        backend.add(b.x, b.xb, n);
    }
}
