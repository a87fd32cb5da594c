package io.loopus.trainer.train;

import io.loopus.trainer.eval.ExitCalibration;

import java.util.List;

/**
 * A held-out evaluation during or after training.
 *
 * @param basePpl     the base model's perplexity on the same stories (null when not measured)
 * @param calibration how the final evaluation chose the model's exit rule (null for the others and control runs)
 */
public record EvalResult(int step, boolean last, int stories, Double basePpl, List<Row> rows,
                         ExitCalibration.Result calibration) {
    /** One loop setting: fixed exits at {@code loops}, or an adaptive exit with at most that many. */
    public record Row(int loops, String exit, Double tau, int minLoops, double ppl, double loopsMean, long[] depthCounts) {}
}
