package io.loopus.worker.gpu;

import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.Matrix;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Device copies of the weights a backend has used, uploaded on first use and kept: matrices in their
 * dtype, and the small float/int vectors (norm weights, biases, the gate's decay, RoPE tables,
 * channel orders), all by identity. {@link #forget} drops a matrix whose values changed
 * ({@code Backend.invalidate}); vectors are taken as constant (the trainer updates its vectors
 * in place, but trains on the CPU backend only).
 */
final class DeviceWeights {
    private final DeviceMemory memory;
    private final Map<Matrix, DeviceMatrix> matrices = new WeakHashMap<>();
    private final Map<Object, DeviceBuffer> vectors = new WeakHashMap<>(); // float[] and int[], by identity
    private long uploaded;

    DeviceWeights(DeviceMemory memory) {
        this.memory = memory;
    }

    DeviceMatrix matrix(Matrix m) {
        DeviceMatrix d = matrices.get(m);
        if (d != null) return d;
        DeviceBuffer b = memory.allocate(m, m.bytes());
        Pointer host = m instanceof F32Matrix f ? Pointer.to(f.data()) : Pointer.to(((HalfMatrix) m).data());
        JCudaDriver.cuMemcpyHtoD(b.ptr, host, m.bytes());
        uploaded += m.bytes();
        d = new DeviceMatrix(b, m.rows(), m.cols(), m.dtype());
        matrices.put(m, d);
        return d;
    }

    CUdeviceptr vector(float[] v) {
        DeviceBuffer b = vectors.get(v);
        if (b == null) {
            b = memory.allocate(v, 4L * v.length);
            JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(v), 4L * v.length);
            vectors.put(v, b);
        }
        return b.ptr;
    }

    CUdeviceptr ints(int[] v) {
        DeviceBuffer b = vectors.get(v);
        if (b == null) {
            b = memory.allocate(v, 4L * v.length);
            JCudaDriver.cuMemcpyHtoD(b.ptr, Pointer.to(v), 4L * v.length);
            vectors.put(v, b);
        }
        return b.ptr;
    }

    void forget(Matrix m) {
        DeviceMatrix d = matrices.remove(m);
        if (d != null) {
            memory.free(d.buffer());
            uploaded -= d.buffer().bytes;
        }
    }

    /** Bytes of the matrices on the device now. */
    long uploadedBytes() { return uploaded; }
}
