package io.loopus.worker.gpu;

import io.loopus.worker.tensor.DType;

/**
 * The tolerances the GPU backend is held to against the CPU backend (error as {@link ParityCheck#error}).
 *
 * <p>F32: 1e-4 everywhere, whole stacks included; the GPU only sums in other orders and fuses
 * multiplies into FMAs (a few ulp per op, about 1e-6 relative).
 *
 * <p>F16/BF16 weights through cuBLAS: cublasGemmEx needs both operands in one type, so the
 * activations are rounded to the weights' type, unit roundoff u = 2^-11 (F16) or 2^-8 (BF16); a
 * product's error is then of order u relative to its scale. Bounds: 4u per product (F16 2e-3,
 * BF16 1.6e-2), 10u over a whole layer stack (F16 5e-3, BF16 4e-2). Through the loopus kernels,
 * half weights are widened exactly and multiplied with F32 activations, so they keep 1e-4.
 */
public final class ParityBounds {
    public static final double F32 = 1e-4;

    private ParityBounds() {}

    /** One product with weights of {@code dtype}; cuBLAS or the loopus kernels. */
    public static double product(DType dtype, boolean cublas) {
        if (dtype == DType.F32 || !cublas) return F32;
        return dtype == DType.F16 ? 2e-3 : 1.6e-2;
    }

    /** A whole layer stack with weights of {@code dtype}. */
    public static double stack(DType dtype, boolean cublas) {
        if (dtype == DType.F32 || !cublas) return F32;
        return dtype == DType.F16 ? 5e-3 : 4e-2;
    }
}
