package io.loopus.worker.jmh;

import io.loopus.worker.tensor.BF16Matrix;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tensor.F16Matrix;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Decode's kernel: one token times a weight matrix ({@code CpuBackend.matmul} with n = 1, all
 * cores), which streams the whole matrix once, so GB/s of weights is the figure of merit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatVecBenchmark {
    @Param({"4096x4096", "16384x4096"})
    public String shape;

    @Param({"F32", "F16", "BF16"})
    public String dtype;

    Matrix w;
    CpuTensor x, out;
    double bytes, flops;

    @Setup
    public void setup() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
        w = randomMatrix(dtype, rows, cols, 1);
        x = new CpuTensor(1, cols, randomFloats(cols, 2));
        out = new CpuTensor(1, rows);
        bytes = w.bytes() + 4.0 * (rows + cols);
        flops = 2.0 * rows * cols;
    }

    @Benchmark
    public float matvec(Traffic t) {
        CpuBackend.INSTANCE.matmul(x, 1, w, out);
        t.bytes += bytes;
        t.flops += flops;
        return out.data()[0];
    }

    static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * 0.02f;
        return v;
    }

    static Matrix randomMatrix(String dtype, int rows, int cols, long seed) {
        float[] f = randomFloats(rows * cols, seed);
        if (dtype.equals("F32")) return new F32Matrix(rows, cols, f);
        short[] s = new short[f.length];
        boolean half = dtype.equals("F16");
        if (!half && !dtype.equals("BF16")) throw new IllegalArgumentException("dtype " + dtype);
        for (int i = 0; i < f.length; i++) s[i] = half ? HalfFloats.floatToF16(f[i]) : HalfFloats.floatToBf16(f[i]);
        return half ? new F16Matrix(rows, cols, s) : new BF16Matrix(rows, cols, s);
    }
}
