package io.loopus.worker.tensor;

/** F32 weights on the Java heap, where the Vector API reads them fastest. */
public final class F32Matrix extends Matrix {
    private final float[] data;

    public F32Matrix(int rows, int cols, float[] data) {
        super(rows, cols);
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException("F32 matrix " + rows + "x" + cols + " given " + data.length + " values");
        }
        this.data = data;
    }

    public float[] data() { return data; }

    @Override public DType dtype() { return DType.F32; }

    @Override public float get(int row, int col) { return data[row * cols + col]; }

    @Override public void rowInto(int row, float[] dst, int dstOff) {
        System.arraycopy(data, row * cols, dst, dstOff, cols);
    }

    @Override public float dotRow(int row, float[] x, int xOff) {
        return Kernels.dot(data, row * cols, x, xOff, cols);
    }

    @Override protected void multiply4(int j, float[] x, int xStride, int n, float[] out, int outStride) {
        int r0 = j * cols;
        if (n == 1) {
            Kernels.dot4RowsOneToken(data, r0, r0 + cols, r0 + 2 * cols, r0 + 3 * cols, cols, x, 0, out, j);
            return;
        }
        Kernels.dot4Rows(data, r0, r0 + cols, r0 + 2 * cols, r0 + 3 * cols, cols, x, xStride, 0, n, out, outStride, j);
    }
}
