package io.loopus.server.serve;

import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ExitPolicy;

import java.util.List;

/**
 * A validated request, as the scheduler runs it.
 *
 * @param ids           generation: the prompt; scoring: the context followed by the text to score
 * @param scoreFrom     scoring: the first position of {@code ids} whose probability is scored; -1 to generate
 * @param onePass       scoring: all positions in one pass (fixed exits or a base model), else token by token
 * @param deadlineNanos {@link System#nanoTime()} by which it must finish; Long.MAX_VALUE for none
 */
public record Job(long id, int[] ids, int maxNewTokens, SamplingParams sampling, List<String> stop, ExitPolicy exit,
                  boolean trace, int scoreFrom, boolean onePass, long deadlineNanos, JobListener listener) {
    public boolean scoring() { return scoreFrom >= 0; }

    /** KV positions the job may hold at most (what admission reserves). */
    public int maxPositions(int context) {
        return scoring() ? ids.length : Math.min(context, ids.length + maxNewTokens);
    }
}
