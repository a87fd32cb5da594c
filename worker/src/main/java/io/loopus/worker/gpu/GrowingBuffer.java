package io.loopus.worker.gpu;

import jcuda.driver.CUdeviceptr;

/** A device work buffer that grows (doubling) to the largest size asked for and is then reused. */
final class GrowingBuffer {
    private final DeviceMemory memory;
    private DeviceBuffer buffer;

    GrowingBuffer(DeviceMemory memory) {
        this.memory = memory;
    }

    /** The buffer, at least {@code bytes} long; earlier contents are lost when it grows. */
    CUdeviceptr ensure(long bytes) {
        if (buffer == null || buffer.bytes < bytes) {
            if (buffer != null) memory.free(buffer);
            buffer = memory.allocate(this, Math.max(bytes, buffer == null ? 256 : 2 * buffer.bytes));
        }
        return buffer.ptr;
    }
}
