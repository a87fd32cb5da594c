package io.loopus.server.serve;

import java.util.concurrent.atomic.AtomicLong;

/** Live counters of the scheduler, written by it and read by ModelInfo. */
public final class SchedulerStats {
    final long startNanos = System.nanoTime();
    volatile int running, queued, pipelines;
    volatile long kvBytesReserved;
    final AtomicLong completed = new AtomicLong(), failed = new AtomicLong(), cancelled = new AtomicLong(),
            rejected = new AtomicLong(), generatedTokens = new AtomicLong(), loopPasses = new AtomicLong();

    public int running() { return running; }

    public int queued() { return queued; }

    public int pipelines() { return pipelines; }

    public long kvBytesReserved() { return kvBytesReserved; }

    public long completed() { return completed.get(); }

    public long failed() { return failed.get(); }

    public long cancelled() { return cancelled.get(); }

    public long rejected() { return rejected.get(); }

    public long generatedTokens() { return generatedTokens.get(); }

    public long loopPasses() { return loopPasses.get(); }

    public double uptimeSeconds() { return (System.nanoTime() - startNanos) / 1e9; }
}
