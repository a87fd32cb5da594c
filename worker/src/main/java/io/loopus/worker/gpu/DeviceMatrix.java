package io.loopus.worker.gpu;

import io.loopus.worker.tensor.DType;

/** A weight matrix's copy on a device, in its own dtype (row-major, rows x cols). */
record DeviceMatrix(DeviceBuffer buffer, int rows, int cols, DType dtype) {
    /** Kernel-name suffix of the dtype: f32, f16, bf16. */
    String suffix() {
        return dtype.name().toLowerCase(java.util.Locale.ROOT);
    }
}
