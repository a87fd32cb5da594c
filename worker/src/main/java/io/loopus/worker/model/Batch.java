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
