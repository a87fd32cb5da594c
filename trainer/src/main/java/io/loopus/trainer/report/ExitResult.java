package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.trainer.chart.Text;

import static io.loopus.trainer.report.JsonFields.integer;
import static io.loopus.trainer.report.JsonFields.number;

/**
 * Held-out perplexity of the model under one exit policy.
 *
 * @param loops       N, the most loop passes allowed
 * @param exit        {@code fixed} (always N passes) or an adaptive policy such as {@code threshold}
 * @param tau         the policy's threshold; NaN for fixed
 * @param minLoops    no exit before this many passes (1 when the line does not say)
 * @param depthCounts entry k: tokens that left after k + 1 passes
 */
record ExitResult(int loops, String exit, double tau, int minLoops, double ppl, double loopsMean, long[] depthCounts) {

    static ExitResult parse(JsonNode o) {
        JsonNode counts = o.path("depth_counts");
        long[] depths = new long[counts.size()];
        for (int i = 0; i < depths.length; i++) depths[i] = counts.get(i).asLong();
        return new ExitResult(integer(o, "loops", 0), o.path("exit").asText("fixed"), number(o, "tau"),
                integer(o, "min_loops", 1), number(o, "ppl"), number(o, "loops_mean"), depths);
    }

    boolean fixed() {
        return exit.equals("fixed");
    }

    /** "threshold τ=0.6", "threshold τ=0.52 min 2", or "threshold" when the policy has no τ. */
    String policy() {
        String p = Double.isNaN(tau) ? exit : exit + " \u03c4=" + Text.tick(tau);
        return minLoops > 1 && !fixed() ? p + " min " + minLoops : p;
    }
}
