package io.loopus.trainer.train;

/**
 * One micro-batch of packed sequences: {@code inputs} and {@code labels} are sequences x seqLen
 * (labels {@code PackedCorpus.IGNORE} on padding), {@code valid} the labelled length of each.
 *
 * @param index the micro-batch's place in the run's endless stream (g = batch round x streams + stream)
 */
public record MicroBatch(long index, int[] inputs, int[] labels, int[] valid) {}
