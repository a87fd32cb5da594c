package io.loopus.worker.gpu;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Launches loopus kernels on the legacy default stream of the current context, so that they run in
 * order with cuBLAS and with the synchronous copies around them. Arguments are device pointers,
 * {@code Integer}, {@code Long} or {@code Float}, matching the kernel's C signature.
 */
final class Launcher {
    /** Threads per block of the element-wise kernels. */
    static final int THREADS = 256;
    private final PtxModules modules;

    Launcher(PtxModules modules) {
        this.modules = modules;
    }

    /** A grid-stride kernel over {@code count} elements (nothing when count is 0). */
    void elementwise(String kernel, long count, Object... args) {
        if (count <= 0) return;
        int blocks = (int) Math.min((count + THREADS - 1) / THREADS, 1 << 20);
        launch(kernel, blocks, 1, THREADS, 0, args);
    }

    void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Object... args) {
        if (gridX <= 0 || gridY <= 0) return;
        JCudaDriver.cuLaunchKernel(modules.function(kernel), gridX, gridY, 1, threads, 1, 1, sharedBytes, null,
                Pointer.to(params(args)), null);
    }

    private static Pointer[] params(Object[] args) {
        Pointer[] p = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof CUdeviceptr d) p[i] = Pointer.to(d);
            else if (a instanceof Integer v) p[i] = Pointer.to(new int[] {v});
            else if (a instanceof Long v) p[i] = Pointer.to(new long[] {v});
            else if (a instanceof Float v) p[i] = Pointer.to(new float[] {v});
            else throw new IllegalArgumentException("kernel argument " + i + " of type " + (a == null ? "null" : a.getClass()));
        }
        return p;
    }
}
