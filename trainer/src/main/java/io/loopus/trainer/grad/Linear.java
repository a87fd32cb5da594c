package io.loopus.trainer.grad;

import java.util.Arrays;

/** {@code y = x W^T (+ b)} over n rows; W is out x in, row-major, as in {@code Matrix}. */
public final class Linear {
    private final int in;
    private final int out;
    private final double[] acc; // one row of in values, summed in double

    public Linear(int in, int out) {
        this.in = in;
        this.out = out;
        this.acc = new double[in];
    }

    /** y[t][j] = W[j] . x[t] + b[j]; b may be null. */
    public void forward(float[] x, int n, float[] w, float[] b, float[] y) {
        for (int t = 0; t < n; t++) {
            int xo = t * in, yo = t * out;
            for (int j = 0; j < out; j++) {
                int wo = j * in;
                double s = b == null ? 0 : b[j];
                for (int i = 0; i < in; i++) s += (double) x[xo + i] * w[wo + i];
                y[yo + j] = (float) s;
            }
        }
    }

    /** dx += dy W, dW += dy^T x, db += sum over rows of dy; dx and db may be null. */
    public void backward(float[] x, float[] dy, int n, float[] w, float[] dx, float[] dw, float[] db) {
        if (dx != null) {
            for (int t = 0; t < n; t++) {
                Arrays.fill(acc, 0);
                for (int j = 0; j < out; j++) addScaled(dy[t * out + j], w, j * in);
                for (int i = 0; i < in; i++) dx[t * in + i] += (float) acc[i];
            }
        }
        for (int j = 0; j < out; j++) {
            Arrays.fill(acc, 0);
            for (int t = 0; t < n; t++) addScaled(dy[t * out + j], x, t * in);
            for (int i = 0; i < in; i++) dw[j * in + i] += (float) acc[i];
        }
        if (db != null) {
            for (int j = 0; j < out; j++) {
                double s = 0;
                for (int t = 0; t < n; t++) s += dy[t * out + j];
                db[j] += (float) s;
            }
        }
    }

    private void addScaled(float a, float[] v, int off) {
        if (a == 0) return; // padding rows carry no gradient
        for (int i = 0; i < in; i++) acc[i] += (double) a * v[off + i];
    }
}
