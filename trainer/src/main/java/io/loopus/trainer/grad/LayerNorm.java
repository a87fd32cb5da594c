package io.loopus.trainer.grad;

import java.util.Arrays;

/** Affine LayerNorm over rows of {@code cols} channels: {@code y = (x - mean) / sqrt(var + eps) ⊙ weight + bias}. */
public final class LayerNorm {
    private final int cols;
    private final float eps;
    private final double[] dWeight; // summed over rows in double
    private final double[] dBias;

    public LayerNorm(int cols, float eps) {
        this.cols = cols;
        this.eps = eps;
        this.dWeight = new double[cols];
        this.dBias = new double[cols];
    }

    /** Normalises n rows into y, saving each row's mean and 1/std. */
    public void forward(float[] x, int n, float[] weight, float[] bias, float[] y, float[] mean, float[] invStd) {
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += x[o + i];
            double mu = sum / cols;
            double var = 0;
            for (int i = 0; i < cols; i++) var += (x[o + i] - mu) * (x[o + i] - mu);
            mean[t] = (float) mu;
            invStd[t] = (float) (1 / Math.sqrt(var / cols + eps));
            for (int i = 0; i < cols; i++) y[o + i] = (x[o + i] - mean[t]) * invStd[t] * weight[i] + bias[i];
        }
    }

    /**
     * With xhat = (x - mean) s and g = dy ⊙ weight: dx += s (g - mean(g) - xhat mean(g ⊙ xhat)),
     * dWeight += sum over rows of dy ⊙ xhat, dBias += sum over rows of dy.
     */
    public void backward(float[] x, float[] mean, float[] invStd, float[] dy, int n, float[] weight,
                         float[] dx, float[] dWeight, float[] dBias) {
        Arrays.fill(this.dWeight, 0);
        Arrays.fill(this.dBias, 0);
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            double s = invStd[t], mu = mean[t];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < cols; i++) {
                double xhat = (x[o + i] - mu) * s, g = (double) dy[o + i] * weight[i];
                sumG += g;
                sumGx += g * xhat;
                this.dWeight[i] += dy[o + i] * xhat;
                this.dBias[i] += dy[o + i];
            }
            double meanG = sumG / cols, meanGx = sumGx / cols;
            for (int i = 0; i < cols; i++) {
                double xhat = (x[o + i] - mu) * s;
                dx[o + i] += (float) (s * ((double) dy[o + i] * weight[i] - meanG - xhat * meanGx));
            }
        }
        for (int i = 0; i < cols; i++) {
            dWeight[i] += (float) this.dWeight[i];
            dBias[i] += (float) this.dBias[i];
        }
    }
}
