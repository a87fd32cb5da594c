package io.loopus.worker.gpu;

import io.loopus.worker.tensor.Tensor;

/** A row-major F32 activation buffer in one device's memory. */
final class CudaTensor implements Tensor {
    private final int rows, cols;
    DeviceBuffer buffer;
    final CudaBackend owner;

    CudaTensor(int rows, int cols, CudaBackend owner) {
        this.rows = rows;
        this.cols = cols;
        this.owner = owner;
    }

    @Override public int rows() { return rows; }

    @Override public int cols() { return cols; }
}
