package io.loopus.trainer.eval;

import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusModel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Chooses a converted model's default exit rule on calibration text: the threshold rule (exit once
 * q > tau, never before min_loops) that makes the fewest loop passes per token while its
 * perplexity stays within {@code tolerance} of the best fixed loop count's.
 *
 * <p>min_loops first: the smallest depth M whose fixed perplexity is within the tolerance (tau 0
 * there is fixed M). Then one step shallower, M - 1, where q decides: a higher tau keeps tokens
 * longer, so tau is bisected for the lowest value that stays within the tolerance. Earlier depths
 * than M - 1 are not tried: a token leaving there hands its shallow keys to every deeper token
 * after it (fill-forward), which the loop never saw in training.
 */
public final class ExitCalibration {
    private ExitCalibration() {}

    /** One threshold rule measured on the calibration text. */
    public record Point(int minLoops, double tau, double ppl, double loopsMean) {}

    /**
     * @param fixedPpl perplexity at fixed loop counts 1..N (index 0 is one loop)
     * @param chosen   the rule with the fewest passes within the tolerance
     * @param tried    every threshold rule measured, in order
     */
    public record Result(int stories, long tokens, double tolerance, double[] fixedPpl, Point chosen, List<Point> tried) {
        /** The fixed loop count with the lowest perplexity. */
        public int bestFixedLoops() {
            int best = 1;
            for (int n = 2; n <= fixedPpl.length; n++) if (fixedPpl[n - 1] < fixedPpl[best - 1]) best = n;
            return best;
        }
    }

    /** Measures a threshold rule (min_loops, tau) on the calibration text. */
    @FunctionalInterface
    public interface RuleMeasure {
        Point measure(int minLoops, double tau);
    }

    /**
     * @param bisections tau bisection steps at min_loops M - 1 (each a token-by-token pass over the text)
     * @param progress   told each measured rule
     */
    public static Result run(LoopusModel model, HeldOutText text, double tolerance, int bisections, Consumer<Point> progress) {
        ExitPolicy own = model.exitPolicy();
        double[] fixed = new double[own.maxLoops()];
        for (int n = 1; n <= fixed.length; n++) {
            model.setExitPolicy(ExitPolicy.fixed(n));
            fixed[n - 1] = Perplexity.of(model, text, d -> {}).ppl();
        }
        try {
            return choose(fixed, tolerance, bisections, (minLoops, tau) -> {
                Point p = measure(model, own, minLoops, tau, text);
                progress.accept(p);
                return p;
            }, text.stories().size(), text.predictedTokens());
        } finally {
            model.setExitPolicy(own);
        }
    }

    /** The search itself, given the fixed loop counts' perplexities and a way to measure threshold rules. */
    public static Result choose(double[] fixed, double tolerance, int bisections, RuleMeasure measure, int stories, long tokens) {
        if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
        int loops = fixed.length;
        double best = fixed[0];
        for (double p : fixed) best = Math.min(best, p);
        double bound = best * (1 + tolerance);
        int m = 1;
        while (fixed[m - 1] > bound) m++;

        List<Point> tried = new ArrayList<>();
        Point chosen = new Point(m, 0, fixed[m - 1], m);
        if (m > 1 && fixed[loops - 1] <= bound) { // tau 1 keeps every token to N: within the bound, so bisect
            double low = 0, high = 1;
            Point within = null;
            for (int i = 0; i < bisections; i++) {
                double tau = (low + high) / 2;
                Point p = measure.measure(m - 1, tau);
                tried.add(p);
                if (p.ppl() <= bound) {
                    high = tau;
                    within = p;
                } else {
                    low = tau;
                }
            }
            if (within != null && within.loopsMean() < chosen.loopsMean()) chosen = within;
        }
        return new Result(stories, tokens, tolerance, fixed.clone(), chosen, List.copyOf(tried));
    }

    private static Point measure(LoopusModel model, ExitPolicy own, int minLoops, double tau, HeldOutText text) {
        model.setExitPolicy(new ExitPolicy(HaltingStrategy.THRESHOLD, own.maxLoops(), minLoops, tau, own.qEvalInterval(),
                own.epsilon()));
        Perplexity.Result r = Perplexity.of(model, text, d -> {});
        return new Point(minLoops, tau, r.ppl(), r.loopsMean());
    }
}
