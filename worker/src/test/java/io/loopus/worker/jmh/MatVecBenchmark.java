package io.loopus.worker.jmh;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Decode's kernel: one token times a weight matrix ({@code CpuBackend.matmul} with n = 1, all
 * cores), which streams the whole matrix once, so GB/s of weights is the figure of merit.
 */
public class MatVecBenchmark extends KernelBenchmark {
    @Param({"4096x4096", "16384x4096"})
    public String shape;

    @Param({"F32", "F16", "BF16"})
    public String dtype;

    Matrix w;
    CpuTensor x, out;

    @Setup
    public void setup() {
        int rows = shape(shape)[0], cols = shape(shape)[1];
        w = randomMatrix(dtype, rows, cols, 1);
        x = new CpuTensor(1, cols, randomFloats(cols, 2));
        out = new CpuTensor(1, rows);
        bytesPerOp = w.bytes() + 4.0 * (rows + cols);
        flopsPerOp = 2.0 * rows * cols;
    }

    @Benchmark
    public float matvec(Traffic t) {
        CpuBackend.INSTANCE.matmul(x, 1, w, out);
        return count(t, out.data()[0]);
    }
}
