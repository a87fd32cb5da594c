package io.loopus.worker.model;

import io.loopus.worker.tensor.AttentionShape;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

/**
 * A contiguous run of decoder layers on one backend, each with its own residuals: the whole base
 * model, or one block of a LoopUS split. Layer {@code i} of the stack keeps its keys and values in
 * layer {@code i} of the cache it is given. Scratch buffers are reused across calls.
 *
 * <p>Not thread-safe: one call at a time.
 */
public final class LayerStack {
    private final LlamaConfig config;
    private final LayerWeights[] layers;
    private final Backend backend;
    private final RopeTable rope;
    private final AttentionShape attentionShape;
    private Scratch scratch;

    public LayerStack(LlamaConfig config, LayerWeights[] layers, RopeTable rope, Backend backend) {
        this.config = config;
        this.layers = layers;
        this.backend = backend;
        this.rope = rope;
        this.attentionShape = new AttentionShape(config.heads(), config.kvHeads(), config.headDim(), rope.pairOrder());
    }

    public int size() { return layers.length; }

    public LayerWeights[] layers() { return layers; }

    /** Per-row work buffers for up to {@code capacity} rows. */
    private static final class Scratch {
        final int capacity;
        final Tensor xb, q, k, v, att, hb, hb2;

        Scratch(Backend b, LlamaConfig c, int capacity) {
            this.capacity = capacity;
            xb = b.allocate(capacity, c.dim());
            q = b.allocate(capacity, c.qDim());
            k = b.allocate(capacity, c.kvDim());
            v = b.allocate(capacity, c.kvDim());
            att = b.allocate(capacity, c.qDim());
            hb = b.allocate(capacity, c.hiddenDim());
            hb2 = b.allocate(capacity, c.hiddenDim());
        }
    }

    private Scratch scratch(int rows) {
        if (scratch == null || scratch.capacity < rows) {
            scratch = new Scratch(backend, config, Math.max(rows, scratch == null ? 1 : 2 * scratch.capacity));
        }
        return scratch;
    }

    /** Runs every layer over the first n rows of x, in place. */
    public void run(Tensor x, int n, int[] positions, int[][] blockTables, PagedKvCache cache) {
        for (int i = 0; i < layers.length; i++) runLayer(i, x, n, positions, blockTables, cache);
    }

    /**
     * Runs layer i over the first n rows of x, in place: row t is at positions[t] of the sequence
     * whose block table is blockTables[t], and attends to that sequence's positions 0..positions[t].
     */
    public void runLayer(int i, Tensor x, int n, int[] positions, int[][] blockTables, PagedKvCache cache) {
        LayerWeights w = layers[i];
        Scratch b = scratch(n);
        // attention
        backend.rmsNorm(x, n, w.attnNorm(), config.normEps(), b.xb);
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
        backend.rope(b.q, n, positions, rope);
        backend.rope(b.k, n, positions, rope);
        backend.storeKv(b.k, b.v, n, blockTables, positions, cache, i);
        backend.attention(b.q, n, attentionShape, blockTables, positions, cache, i, b.att);
        backend.matmul(b.att, n, w.wo(), b.xb);
        backend.add(x, b.xb, n);
        // feed-forward: w2(silu(w1 x) * w3 x)
        backend.rmsNorm(x, n, w.ffnNorm(), config.normEps(), b.xb);
        backend.matmul(b.xb, n, w.w1(), b.hb);
        backend.matmul(b.xb, n, w.w3(), b.hb2);
        backend.siluMul(b.hb, b.hb2, n);
        backend.matmul(b.hb, n, w.w2(), b.xb);
        backend.add(x, b.xb, n);
    }
}
