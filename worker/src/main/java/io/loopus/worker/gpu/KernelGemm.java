package io.loopus.worker.gpu;

import jcuda.driver.CUdeviceptr;

/**
 * Products by the loopus kernels of gemm.cu: a warp per weight row for a few tokens (decode, where
 * reading the weights is the cost), 64 x 64 shared-memory tiles for more. F16/BF16 weights are
 * widened in registers and multiplied with F32 activations, summed in F32.
 */
final class KernelGemm implements Gemm {
    /** Up to this many tokens the row-per-warp kernel reads each weight once per four tokens; above, tiles win. */
    static final int GEMV_MAX_TOKENS = 8;
    private static final int WARPS_PER_BLOCK = 8;
    private static final int TILE = 64;
    private final Launcher launcher;

    KernelGemm(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override public void multiply(DeviceMatrix w, CUdeviceptr x, int xStride, int n, CUdeviceptr out, int outStride) {
        if (n <= 0) return;
        if (n <= GEMV_MAX_TOKENS) {
            launcher.launch("gemv_" + w.suffix(), (w.rows() + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK, 1,
                    32 * WARPS_PER_BLOCK, 0, w.buffer().ptr, w.rows(), w.cols(), x, xStride, n, out, outStride);
        } else {
            launcher.launch("gemm_" + w.suffix(), (w.rows() + TILE - 1) / TILE, (n + TILE - 1) / TILE, 256, 0,
                    w.buffer().ptr, w.rows(), w.cols(), x, xStride, n, out, outStride);
        }
    }

    @Override public String name() { return "loopus kernels"; }
}
