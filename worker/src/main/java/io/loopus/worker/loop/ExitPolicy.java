package io.loopus.worker.loop;

/**
 * A sequence's exit rule (DESIGN §1): loop steps t = 1..maxLoops; q is evaluated after step t when
 * {@code t % qEvalInterval == 0} or {@code t == maxLoops}; no exit before {@code minLoops}.
 * {@code convergence} looks at every step and needs no q.
 */
public record ExitPolicy(HaltingStrategy strategy, int maxLoops, int minLoops, double tau, int qEvalInterval,
                         double epsilon) {
    /** cdf clamps q below 1 so that log(1 - q) stays finite. */
    static final double CDF_Q_MAX = 1 - 1e-7;

    public ExitPolicy {
        if (maxLoops < 1) throw new IllegalArgumentException("--loops must be >= 1, got " + maxLoops);
        if (minLoops < 1 || minLoops > maxLoops) {
            throw new IllegalArgumentException("--min-loops must be in [1, " + maxLoops + "], got " + minLoops);
        }
        if (qEvalInterval < 1) throw new IllegalArgumentException("q_eval_interval must be >= 1, got " + qEvalInterval);
        if (!(tau >= 0 && tau <= 1)) throw new IllegalArgumentException("--tau must be in [0, 1], got " + tau);
        if (!(epsilon > 0)) throw new IllegalArgumentException("the convergence epsilon must be > 0, got " + epsilon);
    }

    public static ExitPolicy fixed(int loops) {
        return new ExitPolicy(HaltingStrategy.FIXED, loops, 1, 0.9, 1, 1e-2);
    }

    /** Whether q is computed after step t. */
    public boolean evaluatesQ(int t) {
        return strategy != HaltingStrategy.CONVERGENCE && (t % qEvalInterval == 0 || t == maxLoops);
    }

    /** The cdf strategy's running sum of log(1 - q_j) after step t (unchanged where q is not evaluated). */
    public double survivalAfter(int t, double q, double logSurvival) {
        return strategy == HaltingStrategy.CDF && evaluatesQ(t) ? logSurvival + Math.log1p(-Math.min(q, CDF_Q_MAX))
                : logSurvival;
    }

    /**
     * Whether a sequence leaves after step t.
     *
     * @param q           the confidence after step t, NaN where {@link #evaluatesQ} is false
     * @param change      L2 norm of the last position's post-gate change (convergence only)
     * @param logSurvival {@link #survivalAfter} step t (cdf only)
     */
    public boolean exitsAfter(int t, double q, double change, double logSurvival) {
        if (t >= maxLoops) return true;
        if (t < minLoops) return false;
        return switch (strategy) {
            case FIXED -> false;
            case THRESHOLD -> evaluatesQ(t) && q > tau;
            case CDF -> evaluatesQ(t) && 1 - Math.exp(logSurvival) > tau;
            case CONVERGENCE -> change < epsilon;
        };
    }
}
