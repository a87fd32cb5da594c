package io.loopus.worker.tensor;

/** 16-bit weights (IEEE half or bfloat16) on the Java heap, widened to F32 lane by lane inside the kernels. */
public final class HalfMatrix extends Matrix {
    private final short[] data;
    private final DType dtype;
    private final boolean bf16;

    public HalfMatrix(int rows, int cols, short[] data, DType dtype) {
        super(rows, cols);
        if (dtype != DType.F16 && dtype != DType.BF16) throw new IllegalArgumentException("not a 16-bit dtype: " + dtype);
        if (data.length != (long) rows * cols) {
            throw new IllegalArgumentException(dtype + " matrix " + rows + "x" + cols + " given " + data.length + " values");
        }
        this.data = data;
        this.dtype = dtype;
        this.bf16 = dtype == DType.BF16;
    }

    public short[] data() { return data; }

    @Override public DType dtype() { return dtype; }

    @Override public float get(int row, int col) { return Kernels.halfToFloat(data[row * cols + col], bf16); }

    @Override public void rowInto(int row, float[] dst, int dstOff) {
        if (bf16) Kernels.bf16ToFloat(data, row * cols, dst, dstOff, cols);
        else Kernels.f16ToFloat(data, row * cols, dst, dstOff, cols);
    }

    @Override public float dotRow(int row, float[] x, int xOff) {
        return Kernels.dotHalf(data, row * cols, x, xOff, cols, bf16);
    }

    @Override protected void multiply4(int j, float[] x, int xStride, int n, float[] out, int outStride) {
        if (n == 1) {
            int r0 = j * cols;
            Kernels.dot4RowsOneTokenHalf(data, r0, r0 + cols, r0 + 2 * cols, r0 + 3 * cols, cols, x, out, j, bf16);
            return;
        }
        multiplyDecoded4(j, x, xStride, n, out, outStride);
    }
}
