package io.loopus.worker.jmh;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tensor.Matrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Batched work: 64 token rows times an F32 weight matrix ({@code CpuBackend.matmul}, all cores),
 * the shapes of a 110M-class layer (768x768 attention, 2048x768 feed-forward). GFLOP/s counts
 * 2 * tokens * rows * cols per multiply.
 */
public class MatMulBenchmark extends KernelBenchmark {
    @Param({"768x768", "2048x768"})
    public String shape;

    @Param({"64"})
    public int tokens;

    Matrix w;
    CpuTensor x, out;

    @Setup
    public void setup() {
        int rows = shape(shape)[0], cols = shape(shape)[1];
        w = randomMatrix("F32", rows, cols, 1);
        x = new CpuTensor(tokens, cols, randomFloats(tokens * cols, 2));
        out = new CpuTensor(tokens, rows);
        bytesPerOp = w.bytes() + 4.0 * tokens * (rows + cols);
        flopsPerOp = 2.0 * tokens * rows * cols;
    }

    @Benchmark
    public float matmul(Traffic t) {
        CpuBackend.INSTANCE.matmul(x, tokens, w, out);
        return count(t, out.data()[0]);
    }
}
