package io.loopus.worker.gpu;

import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;
import jcuda.driver.JCudaDriver;

/**
 * Hands rows of activations from one backend to another, where stages on different devices meet:
 * on one GPU a device-to-device copy; between GPUs {@code cuMemcpyPeer} (over NVLink/PCIe peer access
 * where the devices have it, otherwise staged by the driver through pinned host memory); with a CPU
 * on either side, one copy through a host array ({@link Backend#readRows}/{@link Backend#writeRows},
 * the portable path the stage actors use today, and what crosses nodes as protobuf bytes).
 */
public final class DeviceTransfer {
    private DeviceTransfer() {}

    /** Copies rows [srcRow, srcRow + count) of src into rows [dstRow, ..) of dst (both as wide). */
    public static void copyRows(Backend from, Tensor src, int srcRow, int count, Backend to, Tensor dst, int dstRow) {
        if (src.cols() != dst.cols()) throw new IllegalArgumentException("rows of " + src.cols() + " and " + dst.cols() + " columns");
        if (count <= 0) return;
        long bytes = 4L * count * src.cols();
        if (from instanceof CudaBackend a && to instanceof CudaBackend b) {
            synchronized (a) {
                synchronized (b) { // callers copy in pipeline order (encoder -> loop -> decoder), so locks nest one way
                    a.context().makeCurrent();
                    if (a.context() == b.context()) {
                        JCudaDriver.cuMemcpyDtoD(b.rowAddress(dst, dstRow), a.rowAddress(src, srcRow), bytes);
                    } else {
                        JCudaDriver.cuMemcpyPeer(b.rowAddress(dst, dstRow), b.context().context, a.rowAddress(src, srcRow),
                                a.context().context, bytes);
                    }
                }
            }
            return;
        }
        float[] host = new float[count * src.cols()];
        from.readRows(src, srcRow, count, host, 0);
        to.writeRows(dst, dstRow, count, host, 0);
    }
}
