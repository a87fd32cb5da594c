package io.loopus.trainer.grad;

import java.util.Arrays;

/**
 * {@code y = weight ⊙ x / sqrt(mean(x^2) + eps)} over each group of {@code width} channels of a row
 * (one group per row for a layer norm, one per head for Qwen3's q/k norm).
 */
public final class RmsNorm {
    private final int width;
    private final float eps;
    private final double[] dWeight; // summed over rows and groups in double

    public RmsNorm(int width, float eps) {
        this.width = width;
        this.eps = eps;
        this.dWeight = new double[width];
    }

    /** Normalises n rows of cols channels into y and saves 1/rms of every group (n * cols / width values). */
    public void forward(float[] x, int n, int cols, float[] weight, float[] y, float[] invRms) {
        int groups = n * cols / width;
        for (int g = 0; g < groups; g++) {
            int o = g * width;
            double ss = 0;
            for (int i = 0; i < width; i++) ss += (double) x[o + i] * x[o + i];
            invRms[g] = (float) (1 / Math.sqrt(ss / width + eps));
        }
        apply(x, invRms, n, cols, weight, y);
    }

    /** Recomputes y from x and the saved 1/rms (backward passes use it instead of keeping y). */
    public void apply(float[] x, float[] invRms, int n, int cols, float[] weight, float[] y) {
        int groups = n * cols / width;
        for (int g = 0; g < groups; g++) {
            int o = g * width;
            float r = invRms[g];
            for (int i = 0; i < width; i++) y[o + i] = weight[i] * (x[o + i] * r);
        }
    }

    /**
     * dx += r w ⊙ dy - r^3 x (sum_j dy_j w_j x_j) / width, dWeight += sum over groups of dy ⊙ x r;
     * dx may be null.
     */
    public void backward(float[] x, float[] invRms, float[] dy, int n, int cols, float[] weight, float[] dx, float[] dw) {
        int groups = n * cols / width;
        Arrays.fill(dWeight, 0);
        for (int g = 0; g < groups; g++) {
            int o = g * width;
            double r = invRms[g];
            double dot = 0;
            for (int i = 0; i < width; i++) {
                dot += (double) dy[o + i] * weight[i] * x[o + i];
                dWeight[i] += (double) dy[o + i] * x[o + i] * r;
            }
            if (dx == null) continue;
            double c = r * r * r * dot / width;
            for (int i = 0; i < width; i++) dx[o + i] += (float) (r * weight[i] * dy[o + i] - c * x[o + i]);
        }
        for (int i = 0; i < width; i++) dw[i] += (float) dWeight[i];
    }
}
