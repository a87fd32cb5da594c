package io.loopus.worker.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.HashSet;
import java.util.Set;

/**
 * Device allocations tied to Java objects: a tensor, a cached weight or a KV cache's storage is
 * freed on the device once its owner is garbage, the next time the backend allocates (on the
 * backend's thread, with its context current), as layer stacks replace their scratch tensors
 * when batches grow and nothing else tells the backend.
 */
final class DeviceMemory {
    private final CudaContext context;
    private final ReferenceQueue<Object> collected = new ReferenceQueue<>();
    private final Set<Owned> live = new HashSet<>();
    private long bytes;

    private static final class Owned extends PhantomReference<Object> {
        final DeviceBuffer buffer;

        Owned(Object owner, ReferenceQueue<Object> queue, DeviceBuffer buffer) {
            super(owner, queue);
            this.buffer = buffer;
        }
    }

    DeviceMemory(CudaContext context) {
        this.context = context;
    }

    /** A new buffer of {@code bytes} (at least 4), freed when {@code owner} is collected. */
    synchronized DeviceBuffer allocate(Object owner, long bytes) {
        reclaim();
        context.makeCurrent();
        CUdeviceptr ptr = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(ptr, Math.max(4, bytes));
        } catch (jcuda.CudaException e) {
            long[] info = context.memoryInfo();
            throw new IllegalStateException(String.format("%s: out of device memory allocating %.1f MiB (%.1f of %.1f GiB free)",
                    context.name(), bytes / 1048576.0, info[0] / 1073741824.0, info[1] / 1073741824.0), e);
        }
        DeviceBuffer b = new DeviceBuffer(ptr, bytes);
        live.add(new Owned(owner, collected, b));
        this.bytes += bytes;
        return b;
    }

    /** Frees one buffer now (a weight that changed); its owner's later collection does nothing more. */
    synchronized void free(DeviceBuffer b) {
        for (Owned o : live) {
            if (o.buffer == b) {
                live.remove(o);
                context.makeCurrent();
                b.free();
                bytes -= b.bytes;
                return;
            }
        }
    }

    /** Frees the buffers whose owners are gone. */
    synchronized void reclaim() {
        Reference<?> r;
        while ((r = collected.poll()) != null) {
            Owned o = (Owned) r;
            if (live.remove(o)) {
                context.makeCurrent();
                o.buffer.free();
                bytes -= o.buffer.bytes;
            }
        }
    }

    /** Frees every buffer now (the backend is closing). */
    synchronized void freeAll() {
        context.makeCurrent();
        for (Owned o : live) o.buffer.free();
        live.clear();
        bytes = 0;
    }

    /** Bytes held by live buffers. */
    synchronized long bytes() { return bytes; }
}
