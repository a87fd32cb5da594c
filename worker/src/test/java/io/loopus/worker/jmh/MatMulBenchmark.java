package io.loopus.worker.jmh;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tensor.Matrix;
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

import java.util.concurrent.TimeUnit;

/**
 * Batched work: 64 token rows times an F32 weight matrix ({@code CpuBackend.matmul}, all cores),
 * the shapes of a 110M-class layer (768x768 attention, 2048x768 feed-forward). GFLOP/s counts
 * 2 * tokens * rows * cols per multiply.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatMulBenchmark {
    @Param({"768x768", "2048x768"})
    public String shape;

    @Param({"64"})
    public int tokens;

    Matrix w;
    CpuTensor x, out;
    double bytes, flops;

    @Setup
    public void setup() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
        w = MatVecBenchmark.randomMatrix("F32", rows, cols, 1);
        x = new CpuTensor(tokens, cols, MatVecBenchmark.randomFloats(tokens * cols, 2));
        out = new CpuTensor(tokens, rows);
        bytes = w.bytes() + 4.0 * tokens * (rows + cols);
        flops = 2.0 * tokens * rows * cols;
    }

    @Benchmark
    public float matmul(Traffic t) {
        CpuBackend.INSTANCE.matmul(x, tokens, w, out);
        t.bytes += bytes;
        t.flops += flops;
        return out.data()[0];
    }
}
