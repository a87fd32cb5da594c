package io.loopus.worker.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A named pool of worker threads that splits index ranges; small work runs on the caller. Chunks
 * are claimed, not assigned: the caller and any worker that is awake take the next unclaimed chunk
 * of the current job, so a worker the OS has not scheduled yet never stalls a kernel (the caller
 * simply does its share). Workers spin briefly before parking, so the back-to-back kernels of a
 * decode step do not each pay a wake-up.
 *
 * <p>One pool runs one kernel at a time (each uses all of its threads); separate pools, one per
 * CPU "device", run theirs concurrently. {@link #DEFAULT}, sized to the cores, serves
 * {@link CpuBackend#INSTANCE} and everything else that does not need its own pool.
 */
public final class Parallel implements AutoCloseable {
    /** Work (in multiply-adds) below which threading costs more than it saves. */
    static final long MIN_PARALLEL_WORK = 1L << 15;
    private static final int SPINS = 20_000;

    /** The machine's cores: the size of {@link #DEFAULT} (and of OpenBLAS's own pool). */
    public static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    /** The shared pool (threads {@code loopus-cpu-1..}); it is never closed. */
    public static final Parallel DEFAULT = new Parallel("cpu", THREADS);

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

    /** A worker knows its pool, so that a kernel it calls into its own pool runs inline. */
    private static final class Worker extends Thread {
        final Parallel pool;

        Worker(Parallel pool, String name) {
            super(name);
            this.pool = pool;
            setDaemon(true);
        }

        @Override public void run() {
            pool.workerLoop();
        }
    }

    private final String name;
    private final int threads;
    private final Worker[] workers;
    private final Object dispatch = new Object();
    private volatile Job current;
    private volatile boolean closed;

    /** A pool of {@code threads} threads in all: the caller of each kernel plus threads - 1 workers. */
    public Parallel(String name, int threads) {
        if (threads < 1) throw new IllegalArgumentException("pool " + name + " needs at least one thread, got " + threads);
        this.name = name;
        this.threads = threads;
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, "loopus-" + name + "-" + (i + 1));
            workers[i].start();
        }
    }

    public String name() { return name; }

    public int threads() { return threads; }

    /**
     * Runs body over [0, n) in contiguous chunks aligned to {@code align} items, spread over this
     * pool's threads when {@code totalWork} justifies it; otherwise in the calling thread.
     */
    public void forRange(int n, long totalWork, int align, RangeBody body) {
        if (closed) throw new IllegalStateException("thread pool " + name + " is closed");
        int chunks = (int) Math.min(2L * threads, Math.max(1, totalWork / MIN_PARALLEL_WORK));
        chunks = Math.min(chunks, Math.max(1, n / Math.max(1, align)));
        if (threads == 1 || chunks <= 1 || (Thread.currentThread() instanceof Worker w && w.pool == this)) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + align - 1) / align * align;
        Job job = new Job(body, n, per, (n + per - 1) / per);
        synchronized (dispatch) { // one parallel kernel at a time: each uses every thread of the pool
            if (closed) throw new IllegalStateException("thread pool " + name + " is closed");
            current = job;
            for (Thread w : workers) LockSupport.unpark(w);
            job.work();
            while (job.completed.get() < job.chunks) Thread.onSpinWait();
        }
        Throwable f = job.failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void workerLoop() {
        Job seen = null;
        while (true) {
            int spins = 0;
            Job job;
            while ((job = current) == seen) {
                if (closed) return;
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            seen = job;
            job.work();
        }
    }

    /**
     * Stops the workers once the kernel in flight (if any) is done, and waits for them to end;
     * later kernels on this pool fail. The shared {@link #DEFAULT} pool cannot be closed.
     */
    @Override public void close() {
        if (this == DEFAULT) throw new UnsupportedOperationException("the shared thread pool cannot be closed");
        if (Thread.currentThread() instanceof Worker w && w.pool == this) { // its kernel's caller holds dispatch
            throw new IllegalStateException("thread pool " + name + " cannot be closed from its own kernel");
        }
        synchronized (dispatch) {
            if (closed) return;
            closed = true;
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            LockSupport.unpark(w);
            while (w.isAlive()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: the caller was promised the threads are gone
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    @Override public String toString() {
        return "Parallel[" + name + ", " + threads + " threads" + (closed ? ", closed" : "") + "]";
    }
}
