package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Softmax cross-entropy of n rows of logits against labels, averaged over the rows whose label is
 * not {@link #IGNORE} (a token-weighted mean, as PyTorch's {@code ignore_index} mean). The forward
 * saves each row's log-sum-exp.
 *
 * <p>A row's maximum and sum of exponentials are taken over whole vectors of logits with
 * {@link VectorExp}, in lanes kept in a small array (no vector lives across loop iterations, see
 * {@link CausalAttention}), then over the last few logits with Math.exp; the mean over rows is in
 * double.
 */
public final class CrossEntropy {
    /** Any negative label: padding, or a position with no next token. */
    public static final int IGNORE = -1;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();

    private final int vocab;
    private final int bound; // the logits of a row in whole vectors
    private final float[] partial = new float[LANES];

    public CrossEntropy(int vocab) {
        this.vocab = vocab;
        this.bound = F.loopBound(vocab);
    }

    /** The mean loss over labelled rows (0 when there are none); saves lse[t] for labelled rows. */
    public double forward(float[] logits, int[] labels, int n, float[] lse) {
        double sum = 0;
        int count = 0;
        for (int t = 0; t < n; t++) {
            if (labels[t] < 0) continue;
            int o = t * vocab;
            float max = max(logits, o);
            float l = max + (float) Math.log(sumOfExponentials(logits, o, max));
            lse[t] = l;
            sum += l - logits[o + labels[t]];
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /** dLogits += scale (softmax - onehot(label)) / count on labelled rows. */
    public void backward(float[] logits, float[] lse, int[] labels, int n, double scale, float[] dLogits) {
        int count = 0;
        for (int t = 0; t < n; t++) if (labels[t] >= 0) count++;
        if (count == 0) return;
        float c = (float) (scale / count);
        for (int t = 0; t < n; t++) {
            if (labels[t] < 0) continue;
            int o = t * vocab;
            float l = lse[t];
            for (int v = 0; v < bound; v += LANES) {
                VectorExp.exp(FloatVector.fromArray(F, logits, o + v).sub(l)).mul(c).add(FloatVector.fromArray(F, dLogits, o + v))
                        .intoArray(dLogits, o + v);
            }
            for (int v = bound; v < vocab; v++) dLogits[o + v] += c * (float) Math.exp(logits[o + v] - l);
            dLogits[o + labels[t]] -= c;
        }
    }

    private float max(float[] logits, int o) {
        Arrays.fill(partial, Float.NEGATIVE_INFINITY);
        for (int v = 0; v < bound; v += LANES) {
            FloatVector.fromArray(F, logits, o + v).max(FloatVector.fromArray(F, partial, 0)).intoArray(partial, 0);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (float m : partial) max = Math.max(max, m);
        for (int v = bound; v < vocab; v++) max = Math.max(max, logits[o + v]);
        return max;
    }

    private float sumOfExponentials(float[] logits, int o, float max) {
        Arrays.fill(partial, 0f);
        for (int v = 0; v < bound; v += LANES) {
            VectorExp.exp(FloatVector.fromArray(F, logits, o + v).sub(max)).add(FloatVector.fromArray(F, partial, 0))
                    .intoArray(partial, 0);
        }
        for (int step = LANES / 2; step > 0; step /= 2) {
            for (int l = 0; l < step; l++) partial[l] += partial[l + step];
        }
        float sum = partial[0];
        for (int v = bound; v < vocab; v++) sum += (float) Math.exp(logits[o + v] - max);
        return sum;
    }
}
