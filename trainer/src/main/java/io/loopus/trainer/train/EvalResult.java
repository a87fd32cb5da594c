package io.loopus.trainer.train;

import java.util.List;

/**
 * A held-out evaluation during or after training.
 *
 * @param basePpl the base model's perplexity on the same stories (null when not measured)
 */
public record EvalResult(int step, boolean last, int stories, Double basePpl, List<Row> rows) {
    /** One loop setting: fixed exits at {@code loops}, or an adaptive exit with at most that many. */
    public record Row(int loops, String exit, Double tau, double ppl, double loopsMean, long[] depthCounts) {}
}
