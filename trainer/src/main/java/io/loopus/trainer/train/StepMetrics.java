package io.loopus.trainer.train;

/**
 * One optimiser update, as metrics.jsonl records it: the losses are means over the update's
 * micro-batches; tokens are the labelled ones.
 */
public record StepMetrics(int step, double lr, double loss, double lm, double monotone, double confidence,
                          double lmBefore, double tokenAccuracy, double gradNorm, long tokens,
                          double tokensPerSecond, double elapsedSeconds) {}
