package io.loopus.worker.stage;

/**
 * What the decoder returns for one sequence: the logits of its last row (or of every row, when
 * asked), and how the rows went through the loop.
 *
 * @param values {@code vocab} floats, or {@code rows * vocab} with all logits
 */
public record Logits(long seq, int startPos, int rows, float[] values, int depth, float[] q, float[] meanAbar) {}
