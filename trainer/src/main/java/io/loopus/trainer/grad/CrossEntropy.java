package io.loopus.trainer.grad;

/**
 * Softmax cross-entropy of n rows of logits against labels, averaged over the rows whose label is
 * not {@link #IGNORE} (a token-weighted mean, as PyTorch's {@code ignore_index} mean). The forward
 * saves each row's log-sum-exp.
 */
public final class CrossEntropy {
    /** Any negative label: padding, or a position with no next token. */
    public static final int IGNORE = -1;

    private final int vocab;

    public CrossEntropy(int vocab) { this.vocab = vocab; }

    /** The mean loss over labelled rows (0 when there are none); saves lse[t] for labelled rows. */
    public double forward(float[] logits, int[] labels, int n, float[] lse) {
        double sum = 0;
        int count = 0;
        for (int t = 0; t < n; t++) {
            if (labels[t] < 0) continue;
            int o = t * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) max = Math.max(max, logits[o + v]);
            double s = 0;
            for (int v = 0; v < vocab; v++) s += Math.exp(logits[o + v] - max);
            double l = max + Math.log(s);
            lse[t] = (float) l;
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
        double c = scale / count;
        for (int t = 0; t < n; t++) {
            if (labels[t] < 0) continue;
            int o = t * vocab;
            double l = lse[t];
            for (int v = 0; v < vocab; v++) dLogits[o + v] += (float) (c * Math.exp(logits[o + v] - l));
            dLogits[o + labels[t]] -= (float) c;
        }
    }
}
