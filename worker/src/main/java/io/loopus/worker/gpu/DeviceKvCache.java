package io.loopus.worker.gpu;

import io.loopus.worker.model.KvMirror;
import io.loopus.worker.model.PagedKvCache;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * The storage of one {@link PagedKvCache} on a device, in the cache's own layout (per layer,
 * {@code blocks * blockSize * kvDim} floats of keys and as many of values), so the block tables the
 * cache hands out index it unchanged. The cache keeps its bookkeeping on the host and tells this
 * mirror of the copies it makes ({@link KvMirror}); its host arrays are never allocated.
 */
final class DeviceKvCache implements KvMirror {
    final PagedKvCache cache;
    final long layerFloats;
    private final DeviceBuffer keys, values;
    private final CudaBackend backend;

    DeviceKvCache(PagedKvCache cache, CudaBackend backend, DeviceMemory memory) {
        this.cache = cache;
        this.backend = backend;
        this.layerFloats = (long) cache.blocks() * cache.blockSize() * cache.kvDim();
        long bytes = 4L * layerFloats * cache.layers();
        keys = memory.allocate(cache, bytes);
        values = memory.allocate(cache, bytes);
        // zeros, as a new host cache holds: copies of never-written positions stay well defined
        JCudaDriver.cuMemsetD32(keys.ptr, 0, layerFloats * cache.layers());
        JCudaDriver.cuMemsetD32(values.ptr, 0, layerFloats * cache.layers());
    }

    /** Bytes this cache takes on the device. */
    static long bytes(PagedKvCache cache) {
        return 2L * 4 * cache.blocks() * cache.blockSize() * cache.kvDim() * cache.layers();
    }

    CudaBackend owner() { return backend; }

    CUdeviceptr keys(int layer) { return keys.at(layer * layerFloats); }

    CUdeviceptr values(int layer) { return values.at(layer * layerFloats); }

    CUdeviceptr keysBase() { return keys.ptr; }

    CUdeviceptr valuesBase() { return values.ptr; }

    @Override public void copyBlocks(int[] from, int[] to, int count) {
        backend.copyKvBlocks(this, from, to, count);
    }

    @Override public void copyPositions(int[] fromTable, int[] toTable, int start, int end) {
        backend.copyKvPositions(this, fromTable, toTable, start, end);
    }
}
