package io.loopus.worker.loop;

/**
 * How one token (or one prompt, at its last position) went through the loop.
 *
 * @param depth    the loop step after which it exited (1-based)
 * @param q        the confidence after each step 1..depth; NaN where it was not evaluated
 * @param meanAbar the gate's mean Abar (over channels, at the last position) after each step
 */
public record TokenTrace(int depth, float[] q, float[] meanAbar) {}
