package io.loopus.worker.jmh;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.Arrays;

/**
 * RMSNorm of 64 token rows ({@code CpuBackend.rmsNorm}); GB/s counts the rows read and written,
 * GFLOP/s 4 operations per element (square and add, then two multiplies, plus the sum's share).
 */
public class RmsNormBenchmark extends KernelBenchmark {
    @Param({"768", "4096"})
    public int dim;

    @Param({"64"})
    public int tokens;

    CpuTensor x, out;
    float[] weight;

    @Setup
    public void setup() {
        x = new CpuTensor(tokens, dim, randomFloats(tokens * dim, 3));
        out = new CpuTensor(tokens, dim);
        weight = new float[dim];
        Arrays.fill(weight, 1f);
        bytesPerOp = 2.0 * 4 * tokens * dim;
        flopsPerOp = 4.0 * tokens * dim;
    }

    @Benchmark
    public float rmsNorm(Traffic t) {
        CpuBackend.INSTANCE.rmsNorm(x, tokens, weight, 1e-5f, out);
        return count(t, out.data()[0]);
    }
}
