package io.loopus.worker.loop;

import java.util.Arrays;
import java.util.Locale;

/** When a sequence leaves the loop (DESIGN §1). The first three are what checkpoints store. */
public enum HaltingStrategy {
    /** Exit when q > tau. */
    THRESHOLD,
    /** Exit when the cumulative halting probability 1 - prod(1 - q_j) exceeds tau. */
    CDF,
    /** Exit when the last position's post-gate state moves less than epsilon (L2). */
    CONVERGENCE,
    /** Always run every loop; a run-time choice only. */
    FIXED;

    /** The name used in checkpoints and on the command line. */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    public static HaltingStrategy parse(String key) {
        for (HaltingStrategy s : values()) if (s.key().equals(key)) return s;
        throw new IllegalArgumentException("unknown exit policy \"" + key + "\" (one of "
                + String.join(", ", Arrays.stream(values()).map(HaltingStrategy::key).toList()) + ")");
    }
}
