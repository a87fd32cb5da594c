package io.loopus.trainer.train;

import io.loopus.worker.loop.Split;

/**
 * One conversion run (DESIGN §1, random deep supervision). An optimiser update averages the
 * gradients of {@code microBatches} micro-batches of {@code batch} packed sequences of
 * {@code seqLen} tokens; each micro-batch stream runs {@code reasoningSteps} (T) loop iterations
 * per batch, {@code supervision} (S) of them supervised, one update per supervised window.
 *
 * @param loops           N written into the checkpoint (the evaluator measures 1..N)
 * @param clip            global gradient-norm limit; 0 = none
 * @param checkpointEvery updates between checkpoints (and one at the end)
 * @param evalEvery       updates between held-out evaluations (and one at the end); 0 = only at the end
 * @param evalStories     stories of the held-out text each periodic evaluation reads (the last reads all)
 * @param control         fine-tune the base model instead (no loop, gate or head; plain cross-entropy; one
 *                        update per micro-batch round), to tell LoopUS gains from fine-tuning
 */
public record TrainConfig(Split split, int loops, int steps, int warmup, double lr, int batch, int microBatches,
                          int seqLen, int reasoningSteps, int supervision, double beta, double clip, long seed,
                          int workers, int checkpointEvery, int evalEvery, int evalStories, boolean control) {
    public TrainConfig {
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        if (warmup < 0 || warmup > steps) throw new IllegalArgumentException("--warmup must be in [0, --steps], got " + warmup);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        if (batch < 1 || microBatches < 1) throw new IllegalArgumentException("--batch and --micro-batches must be >= 1");
        if (seqLen < 2) throw new IllegalArgumentException("--seq-len must be >= 2, got " + seqLen);
        if (reasoningSteps < 1 || supervision < 1 || supervision > reasoningSteps) {
            throw new IllegalArgumentException("--n-supervision must be in [1, --n-reasoning-steps], got " + supervision
                    + " of " + reasoningSteps);
        }
        if (!(beta >= 0)) throw new IllegalArgumentException("--beta must be >= 0, got " + beta);
        if (!(clip >= 0)) throw new IllegalArgumentException("--clip must be >= 0, got " + clip);
        if (workers < 1) throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
        if (checkpointEvery < 1) throw new IllegalArgumentException("--checkpoint-every must be >= 1, got " + checkpointEvery);
        if (evalEvery < 0) throw new IllegalArgumentException("--eval-every must be >= 0, got " + evalEvery);
        if (loops < 1) throw new IllegalArgumentException("--loops must be >= 1, got " + loops);
    }

    /** Supervised windows (updates) per micro-batch round: S, or one in a control run. */
    public int windowsPerRound() { return control ? 1 : supervision; }
}
