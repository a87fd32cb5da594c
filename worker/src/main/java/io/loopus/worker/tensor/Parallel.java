package io.loopus.worker.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a fixed set of worker threads sized to the cores; small work runs on
 * the caller. Chunks are claimed, not assigned: the caller and any worker that is awake take the
 * next unclaimed chunk of the current job, so a worker the OS has not scheduled yet never stalls a
 * kernel (the caller simply does its share). Workers spin briefly before parking, so the
 * back-to-back kernels of a decode step do not each pay a wake-up.
 */
public final class Parallel {
    private Parallel() {}

    /** Work (in multiply-adds) below which threading costs more than it saves. */
    static final long MIN_PARALLEL_WORK = 1L << 15;
    private static final int SPINS = 20_000;
    private static final String WORKER_PREFIX = "loopus-cpu-";

    public static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** One dispatch, published whole through {@link #current}: a late worker can only touch its own job. */
    private static final class Job {
        final RangeBody body;
        final int n, per, chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeBody body, int n, int per, int chunks) {
            this.body = body;
            this.n = n;
            this.per = per;
            this.chunks = chunks;
        }

        /** Claims and runs chunks until none is left. */
        void work() {
            int k;
            while ((k = next.getAndIncrement()) < chunks) {
                try {
                    body.run(k * per, Math.min(n, (k + 1) * per));
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    completed.incrementAndGet();
                }
            }
        }
    }

    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    private static volatile Job current;
    private static final Object DISPATCH = new Object();

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            Thread t = new Thread(Parallel::workerLoop, WORKER_PREFIX + (i + 1));
            t.setDaemon(true);
            WORKERS[i] = t;
            t.start();
        }
    }

    /**
     * Runs body over [0, n) in contiguous chunks aligned to {@code align} items, spread over the
     * cores when {@code totalWork} justifies it; otherwise in the calling thread.
     */
    public static void forRange(int n, long totalWork, int align, RangeBody body) {
        int chunks = (int) Math.min(2L * THREADS, Math.max(1, totalWork / MIN_PARALLEL_WORK));
        chunks = Math.min(chunks, Math.max(1, n / Math.max(1, align)));
        if (THREADS == 1 || chunks <= 1 || Thread.currentThread().getName().startsWith(WORKER_PREFIX)) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + align - 1) / align * align;
        Job job = new Job(body, n, per, (n + per - 1) / per);
        synchronized (DISPATCH) { // one parallel kernel at a time: each uses every core
            current = job;
            for (Thread w : WORKERS) LockSupport.unpark(w);
            job.work();
            while (job.completed.get() < job.chunks) Thread.onSpinWait();
        }
        Throwable f = job.failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private static void workerLoop() {
        Job seen = null;
        while (true) {
            int spins = 0;
            Job job;
            while ((job = current) == seen) {
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park();
            }
            seen = job;
            job.work();
        }
    }
}
