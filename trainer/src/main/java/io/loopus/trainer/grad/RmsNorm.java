package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * {@code y = weight ⊙ x / sqrt(mean(x^2) + eps)} over each group of {@code width} channels of a row
 * (one group per row for a layer norm, one per head for Qwen3's q/k norm).
 *
 * <p>In float, over whole vectors of a group's channels and then its last few: a group's sums are
 * kept in lanes in a small array (no vector lives across loop iterations, see
 * {@link CausalAttention}) and added pairwise; the weight gradient is summed over blocks of
 * {@value #BLOCK} groups in float, and over blocks in double.
 */
public final class RmsNorm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final int BLOCK = 64;

    private final int width;
    private final int bound; // a group's channels in whole vectors
    private final float eps;
    private final float[] blockWeight;  // this block's weight gradient
    private final double[] dWeight;     // summed over blocks
    private final float[] partial = new float[LANES];

    public RmsNorm(int width, float eps) {
        this.width = width;
        this.bound = F.loopBound(width);
        this.eps = eps;
        this.blockWeight = new float[width];
        this.dWeight = new double[width];
    }

    /** Normalises n rows of cols channels into y and saves 1/rms of every group (n * cols / width values). */
    public void forward(float[] x, int n, int cols, float[] weight, float[] y, float[] invRms) {
        int groups = n * cols / width;
        for (int g = 0; g < groups; g++) {
            float ss = sumOfSquares(x, g * width);
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
            for (int i = 0; i < bound; i += LANES) {
                FloatVector.fromArray(F, x, o + i).mul(r).mul(FloatVector.fromArray(F, weight, i)).intoArray(y, o + i);
            }
            for (int i = bound; i < width; i++) y[o + i] = weight[i] * (x[o + i] * r);
        }
    }

    /**
     * dx += r w ⊙ dy - r^3 x (sum_j dy_j w_j x_j) / width, dWeight += sum over groups of dy ⊙ x r;
     * dx may be null.
     */
    public void backward(float[] x, float[] invRms, float[] dy, int n, int cols, float[] weight, float[] dx, float[] dw) {
        int groups = n * cols / width;
        Arrays.fill(dWeight, 0);
        Arrays.fill(blockWeight, 0f);
        for (int g = 0; g < groups; g++) {
            int o = g * width;
            float r = invRms[g];
            for (int i = 0; i < bound; i += LANES) {
                FloatVector.fromArray(F, dy, o + i).mul(FloatVector.fromArray(F, x, o + i)).mul(r)
                        .add(FloatVector.fromArray(F, blockWeight, i)).intoArray(blockWeight, i);
            }
            for (int i = bound; i < width; i++) blockWeight[i] += dy[o + i] * x[o + i] * r;
            if (g % BLOCK == BLOCK - 1 || g == groups - 1) {
                for (int i = 0; i < width; i++) dWeight[i] += blockWeight[i];
                Arrays.fill(blockWeight, 0f);
            }
            if (dx == null) continue;
            float c = r * r * r * weightedDot(dy, x, weight, o) / width;
            for (int i = 0; i < bound; i += LANES) {
                FloatVector wdy = FloatVector.fromArray(F, dy, o + i).mul(FloatVector.fromArray(F, weight, i));
                wdy.mul(r).sub(FloatVector.fromArray(F, x, o + i).mul(c)).add(FloatVector.fromArray(F, dx, o + i)).intoArray(dx, o + i);
            }
            for (int i = bound; i < width; i++) dx[o + i] += r * weight[i] * dy[o + i] - c * x[o + i];
        }
        for (int i = 0; i < width; i++) dw[i] += (float) dWeight[i];
    }

    /** sum over the group at o of x_i^2. */
    private float sumOfSquares(float[] x, int o) {
        Arrays.fill(partial, 0f);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, o + i);
            v.fma(v, FloatVector.fromArray(F, partial, 0)).intoArray(partial, 0);
        }
        float sum = laneSum();
        for (int i = bound; i < width; i++) sum += x[o + i] * x[o + i];
        return sum;
    }

    /** sum over the group at o of a_i w_i b_i. */
    private float weightedDot(float[] a, float[] b, float[] w, int o) {
        Arrays.fill(partial, 0f);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector.fromArray(F, a, o + i).mul(FloatVector.fromArray(F, w, i))
                    .fma(FloatVector.fromArray(F, b, o + i), FloatVector.fromArray(F, partial, 0)).intoArray(partial, 0);
        }
        float sum = laneSum();
        for (int i = bound; i < width; i++) sum += a[o + i] * w[i] * b[o + i];
        return sum;
    }

    /** The lanes of partial added in a fixed pairwise order. */
    private float laneSum() {
        for (int step = LANES / 2; step > 0; step /= 2) {
            for (int l = 0; l < step; l++) partial[l] += partial[l + step];
        }
        return partial[0];
    }
}
