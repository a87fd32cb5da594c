package io.loopus.worker.tensor;

/** bfloat16 weights on the Java heap, widened to F32 lane by lane inside the kernels. */
public final class BF16Matrix extends Matrix {
    private final short[] data;

    public BF16Matrix(int rows, int cols, short[] data) {
        super(rows, cols);
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException("BF16 matrix " + rows + "x" + cols + " given " + data.length + " values");
        }
        this.data = data;
    }

    public short[] data() { return data; }

    @Override public DType dtype() { return DType.BF16; }

    @Override public float get(int row, int col) { return HalfFloats.bf16ToFloat(data[row * cols + col]); }

    @Override public void rowInto(int row, float[] dst, int dstOff) {
        Kernels.bf16ToFloat(data, row * cols, dst, dstOff, cols);
    }

    @Override public float dotRow(int row, float[] x, int xOff) {
        return Kernels.dotHalf(data, row * cols, x, xOff, cols, true);
    }

    @Override protected void multiply4(int j, float[] x, int xStride, int n, float[] out, int outStride) {
        if (n == 1) {
            int r0 = j * cols;
            Kernels.dot4RowsOneTokenHalf(data, r0, r0 + cols, r0 + 2 * cols, r0 + 3 * cols, cols, x, out, j, true);
            return;
        }
        multiplyDecoded4(j, x, xStride, n, out, outStride);
    }
}
