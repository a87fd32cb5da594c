package io.loopus.worker.model;

/** How RoPE pairs the channels of a head. */
public enum RopeConvention {
    /** Pairs (0,1),(2,3),… as llama2.c and Meta's original code rotate them. */
    INTERLEAVED,
    /** Pairs (i, i + headDim/2) as Hugging Face's rotate_half does. */
    HALF;

    /**
     * The row order that turns q or k projection rows from INTERLEAVED into HALF: output row r is
     * input row {@code order[r]}. This is Hugging Face's conversion permute,
     * {@code w.view(heads, headDim/2, 2, cols).transpose(1, 2).reshape(rows, cols)}: within each head,
     * the first channel of every pair moves to the first half, the second to the second half.
     */
    public static int[] interleavedToHalfRows(int heads, int headDim) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even, got " + headDim);
        int half = headDim / 2;
        int[] order = new int[heads * headDim];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) order[h * headDim + j * half + i] = h * headDim + 2 * i + j;
            }
        }
        return order;
    }
}
