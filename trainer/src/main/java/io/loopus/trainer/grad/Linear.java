package io.loopus.trainer.grad;

import java.util.Arrays;

/**
 * {@code y = x W^T (+ b)} over n rows; W is out x in, row-major, as in {@code Matrix}. The three
 * products are {@link Gemm}'s, so every sum is in float, in short chunks, in a fixed order.
 */
public final class Linear {
    private final int in;
    private final int out;
    private final float[] transposed; // W^T (in x out): the forward's B, so that it broadcasts x and loads rows of W^T

    public Linear(int in, int out) {
        this.in = in;
        this.out = out;
        this.transposed = new float[in * out];
    }

    /** y[t][j] = W[j] . x[t] + b[j]; b may be null. */
    public void forward(float[] x, int n, float[] w, float[] b, float[] y) {
        for (int j = 0; j < out; j++) {
            for (int i = 0; i < in; i++) transposed[i * out + j] = w[j * in + i];
        }
        for (int t = 0; t < n; t++) {
            if (b == null) Arrays.fill(y, t * out, (t + 1) * out, 0f);
            else System.arraycopy(b, 0, y, t * out, out);
        }
        Gemm.multiplyAdd(n, out, in, x, in, 1, transposed, y);
    }

    /** dx += dy W, dW += dy^T x, db += sum over rows of dy; dx and db may be null. */
    public void backward(float[] x, float[] dy, int n, float[] w, float[] dx, float[] dw, float[] db) {
        if (dx != null) Gemm.multiplyAdd(n, in, out, dy, out, 1, w, dx);
        Gemm.multiplyAdd(out, in, n, dy, 1, out, x, dw);
        if (db != null) {
            for (int j = 0; j < out; j++) {
                double s = 0;
                for (int t = 0; t < n; t++) s += dy[t * out + j];
                db[j] += (float) s;
            }
        }
    }
}
