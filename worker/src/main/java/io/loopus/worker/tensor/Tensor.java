package io.loopus.worker.tensor;

/** An F32 activation buffer of rows x cols owned by one {@link Backend}. */
public interface Tensor {
    int rows();

    int cols();
}
