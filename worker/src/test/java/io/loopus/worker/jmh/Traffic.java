package io.loopus.worker.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What each benchmark operation moves and computes. Every benchmark adds its per-operation bytes
 * and floating-point operations here; JMH reports these counters as rates next to the primary
 * ops/s score (secondary results "bytes" and "flops", per second in the benchmarks' time unit),
 * which {@link JmhTable} prints as GB/s and GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    public double bytes;
    public double flops;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
    }
}
