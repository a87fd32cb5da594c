package io.loopus.worker.gpu;

import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.Map;

/**
 * The primary context of one CUDA device, shared by every backend on it (cuBLAS and the runtime
 * API use the same primary context). Driver calls act on the calling thread's current context,
 * and stage actors call from their own threads, so every entry point makes it current first.
 */
final class CudaContext {
    private static final Map<Integer, CudaContext> OPEN = new HashMap<>();

    final int index;
    final CUdevice device;
    final CUcontext context;

    private CudaContext(int index, CUdevice device, CUcontext context) {
        this.index = index;
        this.device = device;
        this.context = context;
    }

    /** The context of {@code cuda:index}; a {@link CudaUnavailableException} when there is no such device. */
    static synchronized CudaContext of(int index) {
        Devices.require(index);
        CudaContext c = OPEN.get(index);
        if (c == null) {
            c = open(index);
            OPEN.put(index, c);
        }
        c.makeCurrent();
        return c;
    }

    private static CudaContext open(int index) {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, index);
            CUcontext context = new CUcontext();
            JCudaDriver.cuDevicePrimaryCtxRetain(context, device); // held for the life of the process
            return new CudaContext(index, device, context);
        } catch (CudaException | LinkageError e) {
            throw new CudaUnavailableException("cuda:" + index + ": cannot open the device: " + CudaFailure.reason(e), e);
        }
    }

    void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** {free, total} bytes of device memory now. */
    long[] memoryInfo() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }

    String name() { return "cuda:" + index; }
}
