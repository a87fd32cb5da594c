package io.loopus.trainer.grad;

/** Row lookup in a vocab x dim table; the gradient is scattered back into the looked-up rows. */
public final class Embedding {
    private Embedding() {}

    public static void forward(float[] table, int dim, int[] ids, int n, float[] out) {
        for (int t = 0; t < n; t++) System.arraycopy(table, ids[t] * dim, out, t * dim, dim);
    }

    /** dTable[ids[t]] += dOut[t]: a token seen twice collects both rows. */
    public static void backward(float[] dOut, int dim, int[] ids, int n, float[] dTable) {
        for (int t = 0; t < n; t++) {
            int o = ids[t] * dim;
            for (int i = 0; i < dim; i++) dTable[o + i] += dOut[t * dim + i];
        }
    }
}
