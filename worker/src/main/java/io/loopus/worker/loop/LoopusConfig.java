package io.loopus.worker.loop;

/**
 * What a LoopUS checkpoint says about the loop (the reference's LDSConfig): the split, the
 * number of loops it was trained with, and its default exit rule. {@code minLoops} is a loopus
 * addition (config.json {@code min_loops}; 1 when absent, as in the reference's checkpoints).
 */
public record LoopusConfig(Split split, int loops, double qThreshold, int qEvalInterval,
                           HaltingStrategy halting, double convergenceEpsilon, int minLoops) {
    public LoopusConfig {
        if (loops < 1) throw new IllegalArgumentException("N must be >= 1, got " + loops);
        if (minLoops < 1 || minLoops > loops) {
            throw new IllegalArgumentException("min_loops must be in [1, N = " + loops + "], got " + minLoops);
        }
        if (qEvalInterval < 1) throw new IllegalArgumentException("q_eval_interval must be >= 1, got " + qEvalInterval);
        if (halting == HaltingStrategy.FIXED) {
            throw new IllegalArgumentException("halting_strategy \"fixed\" is a run-time choice; a checkpoint stores "
                    + "threshold, cdf or convergence");
        }
    }

    /** A rule without min_loops (1), as the reference's checkpoints have. */
    public LoopusConfig(Split split, int loops, double qThreshold, int qEvalInterval, HaltingStrategy halting,
                        double convergenceEpsilon) {
        this(split, loops, qThreshold, qEvalInterval, halting, convergenceEpsilon, 1);
    }

    /** The reference's defaults (q_threshold 0.9, q_eval_interval 1, threshold, epsilon 1e-2). */
    public static LoopusConfig defaults(Split split, int loops) {
        return new LoopusConfig(split, loops, 0.9, 1, HaltingStrategy.THRESHOLD, 1e-2);
    }

    /** The checkpoint's own exit rule. */
    public ExitPolicy exitPolicy() {
        return new ExitPolicy(halting, loops, minLoops, qThreshold, qEvalInterval, convergenceEpsilon);
    }

    /** The same loop with a threshold rule (q > tau, no exit before minLoops) as its default. */
    public LoopusConfig withThresholdRule(int minLoops, double tau) {
        return new LoopusConfig(split, loops, tau, qEvalInterval, HaltingStrategy.THRESHOLD, convergenceEpsilon, minLoops);
    }
}
