package io.loopus.worker.tensor;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Batched products of large F32 weights through the OpenBLAS bundled in its jar: measured here at
 * about 80 GFLOP/s for 64 tokens x 768x768 against about 45 for the Vector API kernels. OpenBLAS
 * is only fast on off-heap memory, so a matrix gets an off-heap copy the first time it is used
 * for a batch (decoding one token keeps using the heap copy, which the Vector API reads fastest).
 * Where the native library cannot load, {@link #worthIt} is false and the caller stays on its own
 * kernels.
 */
final class OpenBlasGemm {
    /** Tokens from which a batch goes to OpenBLAS (below, packing costs more than it saves). */
    static final int MIN_TOKENS = 16;
    /** Matrices smaller than this (in elements) stay on the Vector API kernels. */
    static final long MIN_ELEMENTS = 1L << 18;

    /**
     * Off-heap copies, shared by every backend (CPU devices may run the same weights at once).
     * Guarded by its own lock; a copy is freed when forgotten and no product is still reading it.
     */
    private static final Map<F32Matrix, Copy> OFF_HEAP = new WeakHashMap<>();
    private static final ThreadLocal<FloatPointer[]> IO = ThreadLocal.withInitial(() -> new FloatPointer[2]);

    private OpenBlasGemm() {}

    /** Loads the native library on first need only: small models never pay for it. */
    private static final class Native {
        static final boolean AVAILABLE = load();
    }

    private static boolean load() {
        if (Boolean.getBoolean("loopus.openblas.disable")) return false;
        try {
            openblas.blas_set_num_threads(Parallel.THREADS);
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            System.err.println("loopus: OpenBLAS unavailable (" + e + "); batched products use the Vector API kernels");
            return false;
        }
    }

    static boolean worthIt(Matrix w, int n) {
        return n >= MIN_TOKENS && w instanceof F32Matrix && (long) w.rows() * w.cols() >= MIN_ELEMENTS
                && Native.AVAILABLE;
    }

    /** out[t*outStride + j] = row_j · x[t*xStride ..] for t < n and every row j. */
    static void multiply(F32Matrix w, float[] x, int xStride, int n, float[] out, int outStride) {
        int rows = w.rows(), cols = w.cols();
        Copy weights = acquire(w);
        try {
            multiply(weights.floats, rows, cols, x, xStride, n, out, outStride);
        } finally {
            release(weights);
        }
    }

    private static void multiply(FloatPointer weights, int rows, int cols, float[] x, int xStride, int n,
                                 float[] out, int outStride) {
        FloatPointer[] io = IO.get(); // per calling thread, so concurrent products never share buffers
        FloatPointer in = io[0] = ensure(io[0], (long) n * cols);
        FloatPointer res = io[1] = ensure(io[1], (long) n * rows);
        for (int t = 0; t < n; t++) in.position((long) t * cols).put(x, t * xStride, cols);
        in.position(0);
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, n, rows, cols,
                1f, in, cols, weights, cols, 0f, res, rows);
        for (int t = 0; t < n; t++) res.position((long) t * rows).get(out, t * outStride, rows);
        res.position(0);
    }

    private static FloatPointer ensure(FloatPointer p, long floats) {
        if (p != null && p.capacity() >= floats) return p;
        if (p != null) p.close();
        return new FloatPointer(Math.max(floats, p == null ? 0 : 2 * p.capacity()));
    }

    /** An off-heap copy and the products reading it; both fields are guarded by OFF_HEAP. */
    private static final class Copy {
        final FloatPointer floats;
        int readers;
        boolean forgotten;

        Copy(FloatPointer floats) {
            this.floats = floats;
        }
    }

    /**
     * Drops the off-heap copy of a matrix whose values changed (training updates weights in place).
     * A product already reading it keeps it until it ends: freeing it under that product would be a
     * use-after-free in native code.
     */
    static void forget(F32Matrix w) {
        Copy c;
        synchronized (OFF_HEAP) {
            c = OFF_HEAP.remove(w);
            if (c == null) return;
            c.forgotten = true;
            if (c.readers > 0) return; // the last reader frees it
        }
        c.floats.close();
    }

    private static Copy acquire(F32Matrix w) {
        synchronized (OFF_HEAP) {
            Copy c = OFF_HEAP.computeIfAbsent(w, m -> new Copy(new FloatPointer(m.data())));
            c.readers++;
            return c;
        }
    }

    private static void release(Copy c) {
        synchronized (OFF_HEAP) {
            if (--c.readers > 0 || !c.forgotten) return;
        }
        c.floats.close();
    }
}
