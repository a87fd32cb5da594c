package io.loopus.worker.tensor;

import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;

/**
 * A device: it allocates activations and runs the few ops a Llama block needs, each over the
 * first {@code n} rows (tokens) of its tensors. The CPU backend is the reference for all others.
 */
public interface Backend {
    String name();

    Tensor allocate(int rows, int cols);

    /** out[t] = table row tokens[t]. */
    void embed(Matrix table, int[] tokens, int n, Tensor out);

    /** out[t] = W x[t] (x: n x w.cols, out: n x w.rows). */
    void matmul(Tensor x, int n, Matrix w, Tensor out);

    /** x[t] += bias. */
    void addBias(Tensor x, int n, float[] bias);

    /** out[t] = weight * x[t] / rms(x[t]); groups of weight.length columns are normalised separately. */
    void rmsNorm(Tensor x, int n, float[] weight, float eps, Tensor out);

    /** Rotates every head of x[t] by position positions[t]. */
    void rope(Tensor x, int n, int[] positions, RopeTable table);

    /** Writes k[t], v[t] into the cache at (sequence of row t, positions[t]). */
    void storeKv(Tensor k, Tensor v, int n, int[][] blockTables, int[] positions, PagedKvCache cache, int layer);

    /**
     * Causal attention with grouped-query heads: row t attends to cache positions 0..positions[t]
     * of its own sequence.
     */
    void attention(Tensor q, int n, AttentionShape shape, int[][] blockTables, int[] positions,
                   PagedKvCache cache, int layer, Tensor out);

    /** gate[t] = silu(gate[t]) * up[t]. */
    void siluMul(Tensor gate, Tensor up, int n);

    /** x[t] += y[t]. */
    void add(Tensor x, Tensor y, int n);

    /** out[t] = a[t] - b[t]. */
    void subtract(Tensor a, Tensor b, int n, Tensor out);

    /** out[t] = weight * (x[t] - mean) / sqrt(var + eps) + bias (LayerNorm over each row). */
    void layerNorm(Tensor x, int n, float[] weight, float[] bias, float eps, Tensor out);

    /**
     * The LoopUS selective gate: with Abar = exp(softplus(delta[t]) * decay) per channel,
     * h[t] = Abar * r[t] + (1 - Abar) * h[t]; meanAbar[t] = the mean of Abar over the channels.
     *
     * @param delta the gate's pre-softplus step sizes, rows like h
     * @param decay A = -exp(A_log), per channel
     */
    void selectiveGate(Tensor h, Tensor r, Tensor delta, float[] decay, int n, float[] meanAbar);

    /** dst[i] = src[rows[i]] for i < count. */
    void gatherRows(Tensor src, int[] rows, int count, Tensor dst);

    /** dst[rows[i]] = src[i] for i < count. */
    void scatterRows(Tensor src, int[] rows, int count, Tensor dst);

    /**
     * The values of {@code w} changed in place (a training update): any copy the backend made of it
     * (off-heap, on a device) must be dropped or refreshed before its next use.
     */
    void invalidate(Matrix w);

    /** Copies one row to host memory. */
    void read(Tensor t, int row, float[] dst);

    /** Copies rows [row, row + count) of t to host memory, row after row, from dst[offset]. */
    void readRows(Tensor t, int row, int count, float[] dst, int offset);

    /** Copies count rows from host memory (src from offset, row after row) into rows [row, row + count) of t. */
    void writeRows(Tensor t, int row, int count, float[] src, int offset);
}
