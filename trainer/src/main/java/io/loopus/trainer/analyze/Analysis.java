package io.loopus.trainer.analyze;

import java.nio.file.Path;

/**
 * The result of a decomposition analysis: the per-layer curves, the split chosen from them, and
 * what they were measured on.
 */
public record Analysis(String model, Path data, int stories, LayerDynamics dynamics, SplitRule.Choice choice,
                       double seconds) {}
