package io.loopus.worker.tensor;

/**
 * A weight matrix (rows x cols, row-major) in host memory, in one of the supported dtypes.
 * Multiplications compute {@code out[t][j] = row_j · x[t]}, i.e. {@code x W^T}, as Llama layers do.
 */
public abstract sealed class Matrix permits F32Matrix, HalfMatrix {
    protected final int rows;
    protected final int cols;

    protected Matrix(int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("matrix shape " + rows + "x" + cols);
        this.rows = rows;
        this.cols = cols;
    }

    public final int rows() { return rows; }

    public final int cols() { return cols; }

    public abstract DType dtype();

    public final long bytes() { return (long) rows * cols * dtype().bytes; }

    public abstract float get(int row, int col);

    /** Decodes row {@code row} into dst[0..cols). */
    public abstract void rowInto(int row, float[] dst, int dstOff);

    /** Dot product of one row with x[xOff..xOff+cols), in the canonical order of {@link Kernels#dot}. */
    public abstract float dotRow(int row, float[] x, int xOff);

    /**
     * Computes output columns [j0, j1) for n token rows: out[t*outStride + j] = row_j · x[t*xStride ..].
     * Bit-identical whatever n is.
     */
    public final void multiply(float[] x, int xStride, int n, float[] out, int outStride, int j0, int j1) {
        int j = j0; // four rows at a time even for one token: four independent FMA chains
        for (; j + 4 <= j1; j += 4) multiply4(j, x, xStride, n, out, outStride);
        for (; j < j1; j++) {
            for (int t = 0; t < n; t++) out[t * outStride + j] = dotRow(j, x, t * xStride);
        }
    }

    /** Four consecutive rows starting at j against all n token rows. */
    protected abstract void multiply4(int j, float[] x, int xStride, int n, float[] out, int outStride);

    /** Scratch for dtypes that decode rows before multiplying; one per thread, grown on demand. */
    private static final ThreadLocal<float[]> DECODED = ThreadLocal.withInitial(() -> new float[0]);

    protected final float[] decodeScratch() {
        float[] s = DECODED.get();
        if (s.length < 4 * cols) {
            s = new float[4 * cols];
            DECODED.set(s);
        }
        return s;
    }

    protected final void multiplyDecoded4(int j, float[] x, int xStride, int n, float[] out, int outStride) {
        float[] s = decodeScratch();
        for (int r = 0; r < 4; r++) rowInto(j + r, s, r * cols);
        Kernels.dot4Rows(s, 0, cols, 2 * cols, 3 * cols, cols, x, xStride, 0, n, out, outStride, j);
    }
}
