package io.loopus.worker.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges over a fixed set of worker threads sized to the cores; small work runs on
 * the caller. Chunks are claimed, not assigned: the caller and any worker that is awake take the
 * next unclaimed chunk, so a worker the OS has not scheduled yet never stalls a kernel (the
 * caller simply does its share). Workers spin briefly before parking, so the back-to-back kernels
 * of a decode step do not each pay a wake-up. A dispatch allocates nothing but the caller's lambda.
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

    private static final Thread[] WORKERS = new Thread[THREADS - 1];
    /** (job generation << 32) | index of the next unclaimed chunk. */
    private static final AtomicLong state = new AtomicLong();
    private static final AtomicInteger completed = new AtomicInteger();
    private static volatile RangeBody job;
    private static volatile int jobN, jobPer, jobChunks;
    private static volatile Throwable failure;
    private static int generation;
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
        chunks = (n + per - 1) / per;
        synchronized (DISPATCH) { // one parallel kernel at a time: each uses every core
            job = body;
            jobN = n;
            jobPer = per;
            jobChunks = chunks;
            failure = null;
            completed.set(0);
            int gen = ++generation;
            state.set((long) gen << 32);
            for (Thread w : WORKERS) LockSupport.unpark(w);
            runChunks(gen, body, n, per, chunks);
            while (completed.get() < chunks) Thread.onSpinWait();
            job = null;
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException r) throw r;
                if (f instanceof Error e) throw e;
                throw new IllegalStateException(f);
            }
        }
    }

    /** Claims and runs chunks of job {@code gen} until none is left. */
    private static void runChunks(int gen, RangeBody body, int n, int per, int chunks) {
        while (true) {
            long s = state.get();
            int k = (int) s;
            if ((int) (s >>> 32) != gen || k >= chunks) return;
            if (!state.compareAndSet(s, s + 1)) continue;
            try {
                body.run(k * per, Math.min(n, (k + 1) * per));
            } catch (Throwable e) {
                failure = e;
            } finally {
                completed.incrementAndGet();
            }
        }
    }

    private static void workerLoop() {
        int seen = 0;
        while (true) {
            int spins = 0;
            int gen;
            while ((gen = (int) (state.get() >>> 32)) == seen) {
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park();
            }
            seen = gen;
            // Fields read before the claim; a claim succeeds only while they still belong to gen.
            RangeBody body = job;
            int n = jobN, per = jobPer, chunks = jobChunks;
            if (body != null) runChunks(gen, body, n, per, chunks);
        }
    }
}
