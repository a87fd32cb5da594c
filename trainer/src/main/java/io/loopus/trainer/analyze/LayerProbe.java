package io.loopus.trainer.analyze;

import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.OutputHead;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

/**
 * Runs a base model one layer at a time over whole sequences and reads the hidden state between
 * layers, adding each layer's update and its logit-lens prediction to {@link DynamicsSums}.
 * One sequence at a time through one reused KV cache and reused buffers, so memory is set by the
 * longest sequence seen, not by the amount of text or the context.
 */
final class LayerProbe {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Backend backend;
    private final LayerStack layers;
    private final OutputHead head;
    private final int maxLength;
    private final Batch batch = new Batch();
    private final float[] logits;
    // sized by the longest sequence so far (not the context): calibration stories are often far shorter
    private int capacity;
    private PagedKvCache cache;
    private Tensor x;
    private float[][] before, after;
    private int[] positions;
    private int[][] blockTables;

    /** @param maxLength the longest sequence {@link #run} will be given */
    LayerProbe(LlamaModel model, int maxLength) {
        this.config = model.config();
        this.weights = model.weights();
        this.backend = model.backend();
        this.maxLength = maxLength;
        // own stack and head over the model's weights: they keep their own scratch buffers
        this.layers = new LayerStack(config, weights.layers(), model.rope(), backend);
        this.head = new OutputHead(config, weights.finalNorm(), weights.lmHead(), backend);
        this.logits = new float[config.vocabSize()];
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) return;
        capacity = Math.min(maxLength, Math.max(n, 2 * capacity));
        cache = new PagedKvCache(config, capacity);
        x = backend.allocate(capacity, config.dim());
        before = new float[capacity][config.dim()];
        after = new float[capacity][config.dim()];
        blockTables = new int[capacity][];
        positions = new int[capacity];
        for (int t = 0; t < capacity; t++) positions[t] = t;
    }

    /** Adds every layer's update over one sequence (token ids, BOS first) to the sums. */
    void run(int[] ids, DynamicsSums sums) {
        int n = ids.length;
        if (n == 0 || n > maxLength) {
            throw new IllegalArgumentException("sequence of " + n + " tokens; the probe takes 1.." + maxLength);
        }
        ensureCapacity(n);
        batch.clear();
        for (int t = 0; t < n; t++) batch.add(0, ids[t], t, t < n - 1); // the last position has no next token
        batch.validate(config);
        int seq = cache.newSequence();
        try {
            cache.grow(seq, n);
            int[] table = cache.blockTable(seq);
            for (int t = 0; t < n; t++) blockTables[t] = table;
            backend.embed(weights.embedding(), ids, n, x);
            readRows(n, before);
            for (int l = 0; l < layers.size(); l++) {
                layers.runLayer(l, x, n, positions, blockTables, cache);
                readRows(n, after);
                for (int t = 0; t < n; t++) sums.addUpdate(l, before[t], after[t]);
                addLogitLens(l, ids, sums);
                float[][] swap = before;
                before = after;
                after = swap;
            }
            sums.addSequence(n);
        } finally {
            cache.free(seq);
        }
    }

    private void readRows(int n, float[][] dst) {
        for (int t = 0; t < n; t++) backend.read(x, t, dst[t]);
    }

    /** The final norm and LM head on the current state: does position t already predict token t+1? */
    private void addLogitLens(int layer, int[] ids, DynamicsSums sums) {
        Tensor out = head.logits(x, batch);
        if (out == null) return; // a one-token sequence predicts nothing
        for (int t = 0; t < batch.logitRows(); t++) {
            backend.read(out, t, logits);
            sums.addPrediction(layer, StateMetrics.argmax(logits) == ids[t + 1]);
        }
    }
}
