package io.loopus.worker.stage;

import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedding and the encoder layers on one device, with their KV cache. One call encodes the
 * pieces of many sequences together; a prompt given in pieces waits here until its last piece, so
 * that it goes on to the loop whole. Not thread-safe: its stage actor is its only user.
 */
public final class EncoderBlock {
    private final LlamaConfig config;
    private final Matrix embedding;
    private final LayerStack layers;
    private final Backend backend;
    private final SequenceIds sequences;
    private final Map<Long, Hidden> waiting = new HashMap<>();
    private Tensor x;
    private int[] tokens = new int[16], positions = new int[16];
    private int[][] tables = new int[16][];

    public EncoderBlock(LlamaConfig config, Matrix embedding, LayerStack layers, int capacityTokens, Backend backend) {
        this.config = config;
        this.embedding = embedding;
        this.layers = layers;
        this.backend = backend;
        this.sequences = new SequenceIds(new PagedKvCache(layers.size(), config.kvHeads(), config.headDim(),
                PagedKvCache.DEFAULT_BLOCK_SIZE, capacityTokens));
    }

    /** Checks a piece before it is run: tokens in the vocabulary, positions in the context. */
    public void validate(EncodeChunk c) {
        if (c.tokens().length == 0) throw new IllegalArgumentException("sequence " + c.seq() + ": an empty piece");
        if (c.startPos() < 0 || c.startPos() + c.tokens().length > config.contextLength()) {
            throw new IllegalArgumentException("sequence " + c.seq() + ": positions " + c.startPos() + ".."
                    + (c.startPos() + c.tokens().length - 1) + " outside the context of " + config.contextLength());
        }
        for (int t : c.tokens()) {
            if (t < 0 || t >= config.vocabSize()) {
                throw new IllegalArgumentException("sequence " + c.seq() + ": token id " + t + " outside the vocabulary of " + config.vocabSize());
            }
        }
    }

    /**
     * Encodes the pieces (at most one per sequence, each already {@link #validate validated}) and
     * returns, for every piece that is {@code last}, the hidden states of all its sequence's rows
     * waiting to enter the loop, in the order of the pieces.
     */
    public List<Hidden> encode(List<EncodeChunk> chunks) {
        int n = 0;
        for (EncodeChunk c : chunks) n += c.tokens().length;
        ensure(n);
        int row = 0;
        for (EncodeChunk c : chunks) {
            int id = sequences.prepare(c.seq(), c.startPos(), c.startPos() + c.tokens().length);
            int[] table = sequences.cache().blockTable(id);
            for (int i = 0; i < c.tokens().length; i++, row++) {
                tokens[row] = c.tokens()[i];
                positions[row] = c.startPos() + i;
                tables[row] = table;
            }
        }
        backend.embed(embedding, tokens, n, x);
        layers.run(x, n, positions, tables, sequences.cache());
        List<Hidden> out = new ArrayList<>();
        int dim = config.dim();
        row = 0;
        for (EncodeChunk c : chunks) {
            int rows = c.tokens().length;
            Hidden before = waiting.remove(c.seq());
            int at = before == null ? 0 : before.rows();
            float[] states = before == null ? new float[rows * dim] : Arrays.copyOf(before.states(), (at + rows) * dim);
            backend.readRows(x, row, rows, states, at * dim);
            row += rows;
            Hidden h = new Hidden(c.seq(), before == null ? c.startPos() : before.startPos(), at + rows, states,
                    c.allLogits(), c.exit());
            if (c.last()) out.add(h);
            else waiting.put(c.seq(), h);
        }
        return out;
    }

    public void release(long seq) {
        sequences.release(seq);
        waiting.remove(seq);
    }

    public int liveSequences() { return sequences.size(); }

    public long kvBytes() { return sequences.cache().usedBytes(); }

    private void ensure(int n) {
        if (x != null && x.rows() >= n) return;
        int cap = Math.max(n, x == null ? 16 : 2 * x.rows());
        x = backend.allocate(cap, config.dim());
        tokens = new int[cap];
        positions = new int[cap];
        tables = new int[cap][];
    }
}
