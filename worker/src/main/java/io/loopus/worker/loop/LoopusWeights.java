package io.loopus.worker.loop;

import io.loopus.worker.model.LlamaWeights;

/** The base model's weights (used in place, not copied) plus the gate and the confidence head. */
public record LoopusWeights(LlamaWeights base, GateWeights gate, ConfidenceHead head) {}
