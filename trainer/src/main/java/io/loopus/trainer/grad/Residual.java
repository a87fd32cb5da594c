package io.loopus.trainer.grad;

/** {@code out = a + b} over n values; the gradient reaches both summands unchanged. */
public final class Residual {
    private Residual() {}

    public static void forward(float[] a, float[] b, int n, float[] out) {
        for (int i = 0; i < n; i++) out[i] = a[i] + b[i];
    }

    /** da += dOut, db += dOut; either may be null. */
    public static void backward(float[] dOut, int n, float[] da, float[] db) {
        if (da != null) for (int i = 0; i < n; i++) da[i] += dOut[i];
        if (db != null) for (int i = 0; i < n; i++) db[i] += dOut[i];
    }
}
