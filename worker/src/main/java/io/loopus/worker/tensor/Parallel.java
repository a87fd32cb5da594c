package io.loopus.worker.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a fixed set of worker threads sized to the cores. Small work runs on
 * the caller. Workers spin briefly before parking, so back-to-back kernels of a decode step do not
 * pay a wake-up each; a dispatch allocates nothing but the caller's lambda.
 */
public final class Parallel {
    private Parallel() {}

    /** Work (in multiply-adds) below which threading costs more than it saves. */
    static final long MIN_PARALLEL_WORK = 1L << 15;
    private static final int SPINS = 20_000;

    public static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    /** Worker i runs when its ticket changes; only the workers a job needs get a new ticket. */
    private static final AtomicIntegerArray tickets = new AtomicIntegerArray(Math.max(1, THREADS - 1));
    private static final AtomicInteger pending = new AtomicInteger();
    private static volatile RangeBody job;
    private static volatile int jobN, jobPer;
    private static volatile Throwable failure;
    private static final Object DISPATCH = new Object();

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            int chunk = i + 1;
            Thread t = new Thread(() -> workerLoop(chunk), "loopus-cpu-" + chunk);
            t.setDaemon(true);
            WORKERS[i] = t;
            t.start();
        }
    }

    /**
     * Runs body over [0, n) in contiguous chunks (aligned to {@code align} items), at most one per
     * core, when {@code totalWork} justifies it; otherwise in the calling thread.
     */
    public static void forRange(int n, long totalWork, int align, RangeBody body) {
        int chunks = (int) Math.min(THREADS, Math.max(1, totalWork / MIN_PARALLEL_WORK));
        chunks = Math.min(chunks, Math.max(1, n / Math.max(1, align)));
        if (chunks <= 1 || Thread.currentThread().getName().startsWith("loopus-cpu-")) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + align - 1) / align * align;
        synchronized (DISPATCH) { // one parallel kernel at a time: they each use every core
            job = body;
            jobN = n;
            jobPer = per;
            failure = null;
            pending.set(chunks - 1);
            for (int i = 0; i < chunks - 1; i++) {
                tickets.incrementAndGet(i);
                LockSupport.unpark(WORKERS[i]);
            }
            body.run(0, Math.min(n, per));
            while (pending.get() > 0) Thread.onSpinWait();
            job = null;
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException r) throw r;
                if (f instanceof Error e) throw e;
                throw new IllegalStateException(f);
            }
        }
    }

    private static void workerLoop(int chunk) {
        int slot = chunk - 1;
        int seen = 0; // tickets start at 0; reading it here could miss a job dispatched before this thread ran
        while (true) {
            int spins = 0;
            int t;
            while ((t = tickets.get(slot)) == seen) {
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park();
            }
            seen = t;
            try {
                int from = chunk * jobPer, to = Math.min(jobN, from + jobPer);
                if (from < to) job.run(from, to);
            } catch (Throwable e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }
}
