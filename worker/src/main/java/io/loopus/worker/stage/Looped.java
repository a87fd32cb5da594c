package io.loopus.worker.stage;

/**
 * Hidden states that left the loop after {@code depth} passes, with the confidence q and the gate's
 * mean Abar after each pass (q is NaN where the exit rule did not evaluate it).
 */
public record Looped(Hidden hidden, int depth, float[] q, float[] meanAbar) {}
