package io.loopus.worker.gpu;

import jcuda.driver.CUdeviceptr;

/**
 * out[t*outStride + j] = W row j . x[t*xStride ..] for t < n and every row j of W (x W^T), on the
 * current context's default stream. Two implementations: cuBLAS, and the loopus kernels for
 * machines where cuBLAS cannot load.
 */
interface Gemm {
    void multiply(DeviceMatrix w, CUdeviceptr x, int xStride, int n, CUdeviceptr out, int outStride);

    /** For reports: "cuBLAS" or "loopus kernels". */
    String name();
}
