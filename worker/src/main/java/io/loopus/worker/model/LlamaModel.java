package io.loopus.worker.model;

import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

/**
 * A Llama-family decoder on one backend. {@link #forward} runs one step over a {@link Batch}:
 * any mix of prompt chunks and decode tokens of different sequences, each row attending to its
 * own sequence in the paged KV cache. Activations live in buffers reused across steps.
 *
 * <p>Not thread-safe: one step at a time (a stage actor owns its model).
 */
public final class LlamaModel implements CausalModel {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Backend backend;
    private final RopeTable rope;
    private final LayerStack layers;
    private final OutputHead head;
    private Tensor x;
    private int[][] blockTables = new int[16][];

    public LlamaModel(LlamaConfig config, LlamaWeights weights, Backend backend) {
        this.config = config;
        this.weights = weights;
        this.backend = backend;
        this.rope = new RopeTable(config);
        this.layers = new LayerStack(config, weights.layers(), rope, backend);
        this.head = new OutputHead(config, weights.finalNorm(), weights.lmHead(), backend);
    }

    @Override public LlamaConfig config() { return config; }

    public LlamaWeights weights() { return weights; }

    @Override public Backend backend() { return backend; }

    /** The table every layer stack of this model shares (it is as large as the context). */
    public RopeTable rope() { return rope; }

    @Override public PagedKvCache newCache(int capacityTokens) {
        return new PagedKvCache(config, capacityTokens);
    }

    @Override public Tensor forward(Batch batch, SequenceCache cache) {
        if (!(cache instanceof PagedKvCache paged)) {
            throw new IllegalArgumentException("a Llama model needs its own PagedKvCache, got " + cache.getClass().getSimpleName());
        }
        return forward(batch, paged);
    }

    /**
     * Runs one step. Grows each sequence in the cache to cover its positions, writes their keys
     * and values, and returns the logits of the rows that asked for them, in row order
     * ({@code batch.logitRows()} rows of {@code vocabSize}), or null when none asked.
     */
    public Tensor forward(Batch batch, PagedKvCache cache) {
        int n = batch.size;
        batch.validate(config);
        if (x == null || x.rows() < n) {
            int capacity = Math.max(n, x == null ? 1 : 2 * x.rows());
            x = backend.allocate(capacity, config.dim());
            blockTables = new int[capacity][];
        }
        for (int t = 0; t < n; t++) {
            int seq = batch.sequences[t], pos = batch.positions[t];
            if (cache.length(seq) < pos + 1) cache.grow(seq, pos + 1);
        }
        for (int t = 0; t < n; t++) blockTables[t] = cache.blockTable(batch.sequences[t]);

        backend.embed(weights.embedding(), batch.tokens, n, x);
        layers.run(x, n, batch.positions, blockTables, cache);
        return head.logits(x, batch);
    }
}
