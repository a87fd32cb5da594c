package io.loopus.worker.jmh;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * RMSNorm of 64 token rows ({@code CpuBackend.rmsNorm}); GB/s counts the rows read and written,
 * GFLOP/s 4 operations per element (square-add, then two multiplies, plus the sum's share).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class RmsNormBenchmark {
    @Param({"768", "4096"})
    public int dim;

    @Param({"64"})
    public int tokens;

    CpuTensor x, out;
    float[] weight;
    double bytes, flops;

    @Setup
    public void setup() {
        x = new CpuTensor(tokens, dim, MatVecBenchmark.randomFloats(tokens * dim, 3));
        out = new CpuTensor(tokens, dim);
        weight = new float[dim];
        Arrays.fill(weight, 1f);
        bytes = 2.0 * 4 * tokens * dim;
        flops = 4.0 * tokens * dim;
    }

    @Benchmark
    public float rmsNorm(Traffic t) {
        CpuBackend.INSTANCE.rmsNorm(x, tokens, weight, 1e-5f, out);
        t.bytes += bytes;
        t.flops += flops;
        return out.data()[0];
    }
}
