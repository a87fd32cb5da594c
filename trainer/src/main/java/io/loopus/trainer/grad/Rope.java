package io.loopus.trainer.grad;

import io.loopus.worker.model.RopeTable;

/** RoPE over every row of a batch at the row's position, in the table's convention, in place. */
public final class Rope {
    private Rope() {}

    /** Rotates the heads of each of the shape's rows (rows of heads * headDim channels). */
    public static void forward(RopeTable table, float[] x, BatchShape shape, int heads) {
        int cols = heads * table.headDim();
        for (int row = 0; row < shape.rows(); row++) table.rotate(x, row * cols, heads, shape.position(row));
    }

    /** A rotation is orthogonal, so the gradient goes back through the inverse rotation (in place on dx). */
    public static void backward(RopeTable table, float[] dx, BatchShape shape, int heads) {
        int cols = heads * table.headDim();
        for (int row = 0; row < shape.rows(); row++) table.rotateInverse(dx, row * cols, heads, shape.position(row));
    }
}
