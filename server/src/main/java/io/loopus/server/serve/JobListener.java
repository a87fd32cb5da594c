package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.worker.loop.TokenTrace;

/**
 * Where a job's results go. Called on the scheduler's thread, so implementations must only hand
 * the data on (to a stream queue, a future), never block. Exactly one of {@link #finished},
 * {@link #scored} or {@link #failed} ends every job.
 */
public interface JobListener {
    /** One new token; {@code text} is what it adds to the text (may be empty); trace is null unless asked. */
    void token(int id, String text, TokenTrace trace);

    void finished(FinishReason reason, String tail, Usage usage);

    void scored(ScoreResult result);

    void failed(Status.Code code, String message);

    enum FinishReason { STOP, LENGTH }

    /** @param loopPasses reasoning-block passes over the job's items (the prompt's depth plus each token's) */
    record Usage(int promptTokens, int completionTokens, long loopPasses) {}

    record ScoreResult(double logLikelihood, int scoredTokens, int contextTokens, double loopsMean) {}
}
