package io.loopus.worker.model;

import java.util.Arrays;

/**
 * The tokens of one forward step: prompt chunks and single decode tokens of many sequences,
 * flattened into rows. Reused across steps; grows only when a step is larger than any before.
 */
public final class Batch {
    int size;
    int[] tokens = new int[16];
    int[] positions = new int[16];
    int[] sequences = new int[16];
    boolean[] wantLogits = new boolean[16];
    int logitRows;

    public void clear() {
        size = 0;
        logitRows = 0;
    }

    public int size() { return size; }

    public int logitRows() { return logitRows; }

    public int token(int row) { return tokens[row]; }

    public int position(int row) { return positions[row]; }

    public int sequence(int row) { return sequences[row]; }

    public boolean wantsLogits(int row) { return wantLogits[row]; }

    /** The positions of all rows (the array may be longer than the batch). */
    public int[] positions() { return positions; }

    /** The token ids of all rows (the array may be longer than the batch). */
    public int[] tokens() { return tokens; }

    /** Checks every row against the model's vocabulary and context; an empty batch is an error. */
    public void validate(LlamaConfig config) {
        if (size == 0) throw new IllegalArgumentException("empty batch");
        for (int t = 0; t < size; t++) {
            int pos = positions[t];
            if (pos < 0 || pos >= config.contextLength()) {
                throw new IllegalArgumentException("position " + pos + " outside the context of "
                        + config.contextLength() + " tokens");
            }
            int token = tokens[t];
            if (token < 0 || token >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + config.vocabSize());
            }
        }
    }

    /** Adds one token of sequence {@code seq} at position {@code pos}. */
    public void add(int seq, int token, int pos, boolean logits) {
        if (size == tokens.length) {
            int n = 2 * size;
            tokens = Arrays.copyOf(tokens, n);
            positions = Arrays.copyOf(positions, n);
            sequences = Arrays.copyOf(sequences, n);
            wantLogits = Arrays.copyOf(wantLogits, n);
        }
        tokens[size] = token;
        positions[size] = pos;
        sequences[size] = seq;
        wantLogits[size] = logits;
        size++;
        if (logits) logitRows++;
    }

    /**
     * Adds ids[from, to) of sequence seq at positions startPos..; logits for every row when
     * {@code allLogits}, else only for the last.
     */
    public void addChunk(int seq, int[] ids, int from, int to, int startPos, boolean allLogits) {
        for (int i = from; i < to; i++) add(seq, ids[i], startPos + i - from, allLogits || i == to - 1);
    }
}
