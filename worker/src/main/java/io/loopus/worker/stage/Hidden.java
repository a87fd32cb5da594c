package io.loopus.worker.stage;

import io.loopus.worker.loop.ExitPolicy;

/**
 * Hidden states of consecutive positions of one sequence, passed from stage to stage.
 *
 * @param states {@code rows} rows of the model's hidden size, row after row
 */
public record Hidden(long seq, int startPos, int rows, float[] states, boolean allLogits, ExitPolicy exit) {
    public Hidden withStates(float[] next) {
        return new Hidden(seq, startPos, rows, next, allLogits, exit);
    }
}
