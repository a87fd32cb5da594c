package io.loopus.trainer.analyze;

/** How one hidden state changed into the next: the per-token quantities the decomposition averages. */
public final class StateMetrics {
    private StateMetrics() {}

    /** cos(a, b); 0 when either vector is zero (as PyTorch's cosine_similarity gives with its eps). */
    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    /** ||after - before|| / ||before||; 0 for no change, infinite for a change of a zero state. */
    public static double relativeUpdate(float[] before, float[] after) {
        double diff = 0, base = 0;
        for (int i = 0; i < before.length; i++) {
            double d = (double) after[i] - before[i];
            diff += d * d;
            base += (double) before[i] * before[i];
        }
        if (diff == 0) return 0;
        return base == 0 ? Double.POSITIVE_INFINITY : Math.sqrt(diff / base);
    }

    /** Index of the largest value (the first of equals). */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
