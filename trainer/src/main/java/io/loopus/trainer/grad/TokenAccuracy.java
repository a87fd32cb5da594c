package io.loopus.trainer.grad;

/**
 * Next-token argmax accuracy: the confidence head's target (DESIGN §1). Not differentiable, and
 * used as a constant.
 */
public final class TokenAccuracy {
    private TokenAccuracy() {}

    /**
     * Fills acc[b] with the fraction of sequence b's labelled rows whose argmax (first on ties) is
     * the label, 0 when it has none; returns the fraction over all labelled rows of the batch.
     */
    public static double perSequence(float[] logits, int vocab, int[] labels, BatchShape shape, float[] acc) {
        int allHits = 0, allCount = 0;
        for (int b = 0; b < shape.sequences(); b++) {
            int hits = 0, count = 0;
            for (int row = b * shape.length(); row < (b + 1) * shape.length(); row++) {
                if (labels[row] < 0) continue;
                count++;
                if (argmax(logits, row * vocab, vocab) == labels[row]) hits++;
            }
            acc[b] = count == 0 ? 0 : (float) hits / count;
            allHits += hits;
            allCount += count;
        }
        return allCount == 0 ? 0 : (double) allHits / allCount;
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
