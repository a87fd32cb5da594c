package io.loopus.worker.stage;

import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.OutputHead;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder layers, final norm and LM head on one device, with their KV cache: turns hidden
 * states that left the loop into logits. Not thread-safe: its stage actor is its only user.
 */
public final class DecoderBlock {
    private final LlamaConfig config;
    private final LayerStack layers;
    private final OutputHead head;
    private final Backend backend;
    private final SequenceIds sequences;
    private final Batch batch = new Batch(); // which rows want logits, for the head
    private Tensor x;
    private int[] positions = new int[16];
    private int[][] tables = new int[16][];

    public DecoderBlock(LlamaConfig config, LayerStack layers, OutputHead head, int capacityTokens, Backend backend) {
        this.config = config;
        this.layers = layers;
        this.head = head;
        this.backend = backend;
        this.sequences = new SequenceIds(new PagedKvCache(layers.size(), config.kvHeads(), config.headDim(),
                PagedKvCache.DEFAULT_BLOCK_SIZE, capacityTokens));
    }

    /** Runs the items (at most one per sequence) and returns their logits in the same order. */
    public List<Logits> decode(List<Looped> items) {
        int n = 0;
        for (Looped l : items) n += l.hidden().rows();
        ensure(n);
        batch.clear();
        int row = 0, dim = config.dim();
        for (Looped l : items) {
            Hidden h = l.hidden();
            int id = sequences.prepare(h.seq(), h.startPos(), h.startPos() + h.rows());
            int[] table = sequences.cache().blockTable(id);
            backend.writeRows(x, row, h.rows(), h.states(), 0);
            for (int i = 0; i < h.rows(); i++, row++) {
                positions[row] = h.startPos() + i;
                tables[row] = table;
                batch.add(id, 0, positions[row], h.allLogits() || i == h.rows() - 1);
            }
        }
        layers.run(x, n, positions, tables, sequences.cache());
        Tensor logits = head.logits(x, batch);
        List<Logits> out = new ArrayList<>(items.size());
        int vocab = config.vocabSize(), logitRow = 0;
        for (Looped l : items) {
            Hidden h = l.hidden();
            int rows = h.allLogits() ? h.rows() : 1;
            float[] values = new float[rows * vocab];
            backend.readRows(logits, logitRow, rows, values, 0);
            logitRow += rows;
            out.add(new Logits(h.seq(), h.startPos(), h.rows(), values, l.depth(), l.q(), l.meanAbar()));
        }
        return out;
    }

    public void release(long seq) { sequences.release(seq); }

    public int liveSequences() { return sequences.size(); }

    public long kvBytes() { return sequences.cache().usedBytes(); }

    private void ensure(int n) {
        if (x != null && x.rows() >= n) return;
        int cap = Math.max(n, x == null ? 16 : 2 * x.rows());
        x = backend.allocate(cap, config.dim());
        positions = new int[cap];
        tables = new int[cap][];
    }
}
