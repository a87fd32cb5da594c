package io.loopus.worker.bench;

import io.loopus.worker.tensor.Kernels;
import io.loopus.worker.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.concurrent.atomic.DoubleAdder;

/**
 * The machine's memory read bandwidth as the Vector API sees it: a streaming sum over a
 * {@code float[]} far larger than the caches, split over every core by {@link Parallel#DEFAULT}; the
 * best of a few passes. This is the ceiling for decoding, which streams every weight once a token.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /** Reads a buffer of {@code bytes} bytes {@code passes} times and returns the best pass in GB/s (1e9 bytes/s). */
    public static double measure(long bytes, int passes) {
        int n = (int) Math.min(Integer.MAX_VALUE - 64, bytes / Float.BYTES);
        n -= n % (4 * Kernels.LANES);
        if (n <= 0) throw new IllegalArgumentException("bandwidth buffer of " + bytes + " bytes is too small");
        float[] data = new float[n];
        Parallel.DEFAULT.forRange(n, Long.MAX_VALUE / 2, 4 * Kernels.LANES, (from, to) -> java.util.Arrays.fill(data, from, to, 1f));
        DoubleAdder sink = new DoubleAdder();
        double best = 0;
        for (int p = 0; p < passes; p++) {
            long t0 = System.nanoTime();
            Parallel.DEFAULT.forRange(n, Long.MAX_VALUE / 2, 4 * Kernels.LANES, (from, to) -> sink.add(sum(data, from, to)));
            double seconds = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, (double) n * Float.BYTES / seconds / 1e9);
        }
        double expected = (double) n * passes; // every element is 1
        if (Math.abs(sink.sum() - expected) > 1e-3 * expected) {
            throw new IllegalStateException("bandwidth pass summed " + sink.sum() + ", expected " + expected);
        }
        return best;
    }

    /** Sum of data[from, to), which is a multiple of 4 vectors long; four accumulators hide the add latency. */
    static float sum(float[] data, int from, int to) {
        var F = Kernels.F;
        int step = Kernels.LANES;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = from; i < to; i += 4 * step) {
            a0 = a0.add(FloatVector.fromArray(F, data, i));
            a1 = a1.add(FloatVector.fromArray(F, data, i + step));
            a2 = a2.add(FloatVector.fromArray(F, data, i + 2 * step));
            a3 = a3.add(FloatVector.fromArray(F, data, i + 3 * step));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }
}
