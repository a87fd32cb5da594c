package io.loopus.worker.loop;

/**
 * What a LoopUS checkpoint says about the loop (the reference's LDSConfig): the split, the
 * number of loops it was trained with, and its default exit rule.
 */
public record LoopusConfig(Split split, int loops, double qThreshold, int qEvalInterval,
                           HaltingStrategy halting, double convergenceEpsilon) {
    public LoopusConfig {
        if (loops < 1) throw new IllegalArgumentException("N must be >= 1, got " + loops);
        if (qEvalInterval < 1) throw new IllegalArgumentException("q_eval_interval must be >= 1, got " + qEvalInterval);
        if (halting == HaltingStrategy.FIXED) {
            throw new IllegalArgumentException("halting_strategy \"fixed\" is a run-time choice; a checkpoint stores "
                    + "threshold, cdf or convergence");
        }
    }

    /** The reference's defaults (q_threshold 0.9, q_eval_interval 1, threshold, epsilon 1e-2). */
    public static LoopusConfig defaults(Split split, int loops) {
        return new LoopusConfig(split, loops, 0.9, 1, HaltingStrategy.THRESHOLD, 1e-2);
    }

    /** The checkpoint's own exit rule, with min_loops 1. */
    public ExitPolicy exitPolicy() {
        return new ExitPolicy(halting, loops, 1, qThreshold, qEvalInterval, convergenceEpsilon);
    }
}
