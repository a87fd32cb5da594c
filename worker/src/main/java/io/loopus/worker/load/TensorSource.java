package io.loopus.worker.load;

import io.loopus.worker.tensor.Matrix;

/** Named tensors of checked shape: one safetensors file, or the shards of a model. */
public interface TensorSource {
    /** A 2-D tensor of exactly rows x cols, kept in its stored dtype. */
    Matrix matrix(String name, int rows, int cols);

    /** A 1-D tensor of exactly n values, widened to F32. */
    float[] vector(String name, int n);
}
