package io.loopus.trainer.grad;

/**
 * Binary cross-entropy of logits x against soft targets y in [0, 1], averaged over n:
 * {@code softplus(x) - x y}, computed as {@code max(x, 0) - x y + log1p(exp(-|x|))} so that it never overflows.
 */
public final class BceWithLogits {
    private BceWithLogits() {}

    public static double forward(float[] x, float[] y, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.max(x[i], 0) - (double) x[i] * y[i] + Math.log1p(Math.exp(-Math.abs(x[i])));
        return sum / n;
    }

    /** dx += scale (sigmoid(x) - y) / n; the targets are constants. */
    public static void backward(float[] x, float[] y, int n, double scale, float[] dx) {
        for (int i = 0; i < n; i++) dx[i] += (float) (scale * (Silu.sigmoid(x[i]) - y[i]) / n);
    }
}
