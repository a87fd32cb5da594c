package io.loopus.worker.gpu;

import io.loopus.worker.tensor.DType;
import jcuda.Pointer;
import jcuda.cudaDataType;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasComputeType;
import jcuda.jcublas.cublasGemmAlgo;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;

/**
 * Products through cuBLAS. Row-major x W^T is, read column-major, C = op(A) B with A the weights
 * (op = T, lda = cols), B the activations (ldb = xStride) and C the output (ldc = outStride).
 * F32 weights use SGEMM (the default math mode: no TF32, full F32 products). cublasGemmEx needs A
 * and B of one type, so for F16/BF16 weights the activations are first rounded to that type and
 * the products are summed in F32 (CUBLAS_COMPUTE_32F) into an F32 output.
 */
final class CublasGemm implements Gemm {
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});
    private final cublasHandle handle = new cublasHandle();
    private final Launcher launcher;
    private final GrowingBuffer halves;

    /** Throws a LinkageError when libcublas cannot load, a CudaException when it cannot start. */
    CublasGemm(Launcher launcher, GrowingBuffer halves) {
        this.launcher = launcher;
        this.halves = halves;
        JCublas2.setExceptionsEnabled(true);
        JCublas2.cublasCreate(handle);
    }

    @Override public void multiply(DeviceMatrix w, CUdeviceptr x, int xStride, int n, CUdeviceptr out, int outStride) {
        if (n <= 0) return;
        int op = cublasOperation.CUBLAS_OP_T, noOp = cublasOperation.CUBLAS_OP_N;
        if (w.dtype() == DType.F32) {
            JCublas2.cublasSgemm(handle, op, noOp, w.rows(), n, w.cols(), ONE, w.buffer().ptr, w.cols(), x, xStride,
                    ZERO, out, outStride);
            return;
        }
        boolean bf16 = w.dtype() == DType.BF16;
        long count = (long) n * xStride;
        CUdeviceptr half = halves.ensure(2 * count);
        launcher.elementwise(bf16 ? "f32_to_bf16" : "f32_to_f16", count, x, half, count);
        int type = bf16 ? cudaDataType.CUDA_R_16BF : cudaDataType.CUDA_R_16F;
        JCublas2.cublasGemmEx(handle, op, noOp, w.rows(), n, w.cols(), ONE, w.buffer().ptr, type, w.cols(), half, type,
                xStride, ZERO, out, cudaDataType.CUDA_R_32F, outStride, cublasComputeType.CUBLAS_COMPUTE_32F,
                cublasGemmAlgo.CUBLAS_GEMM_DEFAULT);
    }

    @Override public String name() { return "cuBLAS"; }
}
