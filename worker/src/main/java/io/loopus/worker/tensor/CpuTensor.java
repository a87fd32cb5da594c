package io.loopus.worker.tensor;

/** A row-major activation buffer on the Java heap. */
public record CpuTensor(int rows, int cols, float[] data) implements Tensor {
    public CpuTensor(int rows, int cols) {
        this(rows, cols, new float[Math.multiplyExact(rows, cols)]);
    }
}
