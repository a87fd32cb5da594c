package io.loopus.worker.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** One device allocation; freed once, explicitly or when its owner is collected ({@link DeviceMemory}). */
final class DeviceBuffer {
    final CUdeviceptr ptr;
    final long bytes;
    private boolean freed;

    DeviceBuffer(CUdeviceptr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    /** Frees the memory (the owning context must be current); later calls do nothing. */
    synchronized void free() {
        if (freed) return;
        freed = true;
        JCudaDriver.cuMemFree(ptr);
    }

    /** The address {@code floats} 4-byte elements in. */
    CUdeviceptr at(long floats) {
        return ptr.withByteOffset(4 * floats);
    }
}
