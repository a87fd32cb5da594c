package io.loopus.server.demo;

import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Picks the threshold tau of {@code q > tau} exits so that exit depths vary: given each token's q
 * after every loop step (traced at the full depth N), it replays the threshold rule for taus at the
 * 5%, 10%, ..., 95% quantiles of the observed q values and keeps the one whose depth histogram is the
 * most even (highest entropy). The replay ignores that an early exit slightly changes later tokens'
 * context (their deeper keys are filled forward), so the served depths are close to, not equal to,
 * the replayed ones.
 */
public final class TauChoice {
    /**
     * @param tau         the threshold
     * @param quantile    the share of observed q values at or below tau
     * @param depthCounts tokens that the replay exits after step d + 1, d = 0..N-1
     * @param qValues     the observed q values the quantiles came from
     */
    public record Choice(double tau, double quantile, long[] depthCounts, int qValues) {
        public long tokens() { return Arrays.stream(depthCounts).sum(); }

        /** Depths with at least one token. */
        public int distinctDepths() { return (int) Arrays.stream(depthCounts).filter(c -> c > 0).count(); }

        public boolean varies() { return distinctDepths() > 1; }

        public double meanDepth() {
            double sum = 0;
            for (int d = 0; d < depthCounts.length; d++) sum += (d + 1) * (double) depthCounts[d];
            return sum / Math.max(1, tokens());
        }
    }

    private TauChoice() {}

    /**
     * @param traces q after each loop step 1..N of each token (NaN where q was not evaluated)
     * @param rule   the model's exit rule: its N, min_loops and q_eval_interval are kept
     */
    public static Choice choose(List<float[]> traces, ExitPolicy rule) {
        if (traces.isEmpty()) throw new IllegalArgumentException("no traced tokens to choose tau from");
        List<Float> observed = new ArrayList<>();
        for (float[] q : traces) {
            for (int t = 1; t <= Math.min(q.length, rule.maxLoops()); t++) {
                if (rule.evaluatesQ(t) && Float.isFinite(q[t - 1])) observed.add(q[t - 1]);
            }
        }
        if (observed.isEmpty()) throw new IllegalArgumentException("the traces hold no q values");
        float[] sorted = new float[observed.size()];
        for (int i = 0; i < sorted.length; i++) sorted[i] = observed.get(i);
        Arrays.sort(sorted);
        Choice best = null;
        double bestEntropy = -1;
        for (int p = 95; p >= 5; p -= 5) { // from high tau down: of equally even spreads, the fewer early exits
            double tau = sorted[Math.min(sorted.length - 1, (int) Math.floor(p / 100.0 * sorted.length))];
            long[] counts = replay(traces, rule, tau);
            double h = entropy(counts);
            if (h > bestEntropy + 1e-12) {
                bestEntropy = h;
                best = new Choice(tau, atOrBelow(sorted, tau), counts, sorted.length);
            }
        }
        return best;
    }

    /** Exit depth counts of the threshold rule at {@code tau} replayed over the traces. */
    static long[] replay(List<float[]> traces, ExitPolicy rule, double tau) {
        ExitPolicy p = new ExitPolicy(HaltingStrategy.THRESHOLD, rule.maxLoops(), rule.minLoops(), tau, rule.qEvalInterval(),
                rule.epsilon());
        long[] counts = new long[rule.maxLoops()];
        for (float[] q : traces) {
            int depth = rule.maxLoops();
            for (int t = 1; t < rule.maxLoops(); t++) {
                double qt = t <= q.length && p.evaluatesQ(t) ? q[t - 1] : Double.NaN;
                if (p.exitsAfter(t, qt, Double.NaN, 0)) {
                    depth = t;
                    break;
                }
            }
            counts[depth - 1]++;
        }
        return counts;
    }

    static double entropy(long[] counts) {
        double n = Arrays.stream(counts).sum(), h = 0;
        for (long c : counts) if (c > 0) h -= c / n * Math.log(c / n);
        return h;
    }

    private static double atOrBelow(float[] sorted, double tau) {
        int i = 0;
        while (i < sorted.length && sorted[i] <= tau) i++;
        return i / (double) sorted.length;
    }
}
