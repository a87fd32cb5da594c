package io.loopus.worker.jmh;

import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.Matrix;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What every kernel benchmark shares (JMH inherits these annotations): throughput per second, the
 * short default configuration, a forked JVM with the Vector API, and the per-operation bytes and
 * flops each benchmark adds to {@link Traffic}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public abstract class KernelBenchmark {
    /** Bytes moved and floating-point operations done by one operation; set by each benchmark's setup. */
    protected double bytesPerOp, flopsPerOp;

    /** Counts one operation and passes its result through (so the JIT cannot drop the work). */
    protected final float count(Traffic t, float result) {
        t.bytes += bytesPerOp;
        t.flops += flopsPerOp;
        return result;
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
        boolean half = dtype.equals("F16");
        if (!half && !dtype.equals("BF16")) throw new IllegalArgumentException("dtype " + dtype);
        short[] s = new short[f.length];
        for (int i = 0; i < f.length; i++) s[i] = half ? HalfFloats.floatToF16(f[i]) : HalfFloats.floatToBf16(f[i]);
        return new HalfMatrix(rows, cols, s, half ? DType.F16 : DType.BF16);
    }

    /** "ROWSxCOLS" as {rows, cols}. */
    static int[] shape(String text) {
        String[] rc = text.split("x");
        return new int[] {Integer.parseInt(rc[0]), Integer.parseInt(rc[1])};
    }
}
