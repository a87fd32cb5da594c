package io.loopus.worker.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits: repetition penalty, then greedy or temperature, top-k, top-p and a
 * seeded draw. One sampler per sequence; its scratch buffers are reused for every token.
 */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    private final float[] probs;
    private final long[] order;

    public Sampler(SamplingParams params, int vocabSize) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.probs = new float[vocabSize];
        this.order = new long[vocabSize];
    }

    /**
     * Chooses the next token from logits[off, off+vocab). {@code history[0, historyLen)} are the
     * tokens seen so far (for the repetition penalty). The logits are not modified.
     */
    public int sample(float[] logits, int off, int[] history, int historyLen) {
        int v = probs.length;
        System.arraycopy(logits, off, probs, 0, v);
        if (params.repetitionPenalty() != 1f) {
            float p = params.repetitionPenalty();
            for (int i = 0; i < historyLen; i++) {
                int t = history[i];
                if (Float.isNaN(probs[t]) || probs[t] == Float.NEGATIVE_INFINITY) continue;
                // each distinct token once: mark done by comparing to the original logit
                if (probs[t] != logits[off + t]) continue;
                probs[t] = probs[t] > 0 ? probs[t] / p : probs[t] * p;
            }
        }
        if (params.isGreedy()) return argmax(probs, v);

        // softmax with temperature
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) max = Math.max(max, probs[i]);
        double sum = 0;
        for (int i = 0; i < v; i++) {
            float e = (float) Math.exp((probs[i] - max) / params.temperature());
            probs[i] = e;
            sum += e;
        }
        // Candidates sorted by probability, keys (probability bits, index) ascending. Without top-k,
        // tokens far below the top-p cut-off cannot be needed: drop them before sorting (llama2.c).
        double floor = params.topK() == 0 && params.topP() < 1 ? (1 - params.topP()) * sum / (v - 1) : 0;
        int n = 0;
        for (int i = 0; i < v; i++) {
            if (probs[i] > 0 && probs[i] >= floor) order[n++] = ((long) Float.floatToRawIntBits(probs[i]) << 32) | i;
        }
        Arrays.sort(order, 0, n);
        int keep = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        double keptMass = 0; // top-p applies to the distribution renormalised over the top-k (as HF and vLLM do)
        if (params.topK() > 0) {
            for (int r = n - 1; r >= n - keep; r--) keptMass += probs[(int) order[r]];
        } else {
            keptMass = sum;
        }
        double kept = 0;
        int count = 0;
        for (int r = n - 1; r >= n - keep; r--) {
            kept += probs[(int) order[r]];
            count++;
            if (kept >= params.topP() * keptMass) break;
        }
        double u = random.nextDouble() * kept;
        double acc = 0;
        for (int r = n - 1; r >= n - count; r--) {
            int id = (int) order[r];
            acc += probs[id];
            if (u < acc) return id;
        }
        return (int) order[n - count];
    }

    /** Index of the largest of x[0..n) (the first, on ties). */
    public static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
