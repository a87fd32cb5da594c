package io.loopus.worker.stage;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Live counters of one stage, written by its actor and read by anyone (ModelInfo, benchmarks):
 * time spent computing, passes, rows, and the KV cache it holds.
 */
public final class StageStats {
    private final String name;
    private final String device;
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private volatile int sequences;
    private volatile long kvBytes;

    public StageStats(String name, String device) {
        this.name = name;
        this.device = device;
    }

    public String name() { return name; }

    public String device() { return device; }

    public double busySeconds() { return busyNanos.get() / 1e9; }

    public long passes() { return passes.get(); }

    public long rows() { return rows.get(); }

    public int sequences() { return sequences; }

    public long kvBytes() { return kvBytes; }

    void recordPass(long nanos, int passRows) {
        busyNanos.addAndGet(nanos);
        passes.incrementAndGet();
        rows.addAndGet(passRows);
    }

    void recordCache(int liveSequences, long bytes) {
        sequences = liveSequences;
        kvBytes = bytes;
    }
}
