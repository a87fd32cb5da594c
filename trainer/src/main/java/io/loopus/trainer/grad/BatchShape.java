package io.loopus.trainer.grad;

/**
 * {@code sequences} sequences of {@code length} rows each: row {@code b * length + t} is position t
 * of sequence b, and the first {@code valid[b]} rows of sequence b are tokens, the rest padding.
 */
public record BatchShape(int sequences, int length, int[] valid) {
    public BatchShape {
        if (sequences <= 0 || length <= 0 || valid.length != sequences) {
            throw new IllegalArgumentException("batch of " + sequences + " x " + length + " with " + valid.length + " valid lengths");
        }
        for (int v : valid) {
            if (v < 1 || v > length) throw new IllegalArgumentException("valid length " + v + " outside 1.." + length);
        }
    }

    public int rows() { return sequences * length; }

    public int position(int row) { return row % length; }

    /** The row of sequence b's last token. */
    public int lastRow(int b) { return b * length + valid[b] - 1; }
}
