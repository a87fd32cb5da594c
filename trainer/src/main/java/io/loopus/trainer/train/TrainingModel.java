package io.loopus.trainer.train;

import io.loopus.trainer.grad.GateParams;
import io.loopus.trainer.grad.HeadParams;
import io.loopus.trainer.grad.PlainModel;
import io.loopus.trainer.grad.TrainableParams;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;

import java.util.Map;

/**
 * The model being converted: the frozen embedding and encoder, and the trainable tensors that
 * the coordinator updates in place (workers read them between updates).
 */
public final class TrainingModel {
    private final LlamaConfig config;
    private final LlamaWeights base;
    private final Split split;
    private final TrainableParams params;
    private final Map<String, float[]> tensors;

    public TrainingModel(LlamaConfig config, LoopusWeights start, Split split) {
        this.config = config;
        this.base = start.base();
        this.split = split;
        this.params = TrainableParams.copyOf(start, split);
        this.tensors = params.tensors();
    }

    public LlamaConfig config() { return config; }

    public Split split() { return split; }

    public LlamaWeights base() { return base; }

    public TrainableParams params() { return params; }

    /** The trainable tensors by name (the arrays themselves). */
    public Map<String, float[]> tensors() { return tensors; }

    /** Weight decay applies to matrices only: not A_log, norms or biases (DESIGN §1). */
    public static boolean decayed(String name) {
        return !(name.endsWith("norm") || name.endsWith("_norm") || name.endsWith("norm_weight")
                || name.endsWith("norm_bias") || name.endsWith(".a_log") || name.endsWith(".b_delta")
                || name.endsWith(".bias") || name.endsWith(".bq") || name.endsWith(".bk") || name.endsWith(".bv"));
    }

    /** Tensors only a looped model has (the gate and the confidence head). */
    public static boolean loopOnly(String name) {
        return name.startsWith("reasoning.gate.") || name.startsWith("q_head.");
    }

    /** A copy of the current weights as a LoopUS model (for evaluation and checkpoints while training goes on). */
    public LoopusWeights snapshot() {
        LlamaWeights w = PlainModel.of(config, base, params, split).weights();
        GateParams g = params.gate();
        HeadParams h = params.head();
        return new LoopusWeights(w,
                new GateParams(g.wIn().clone(), g.wDelta().clone(), g.bDelta().clone(), g.aLog().clone()).toWeights(),
                new HeadParams(h.normWeight().clone(), h.normBias().clone(), h.weight().clone(), h.bias().clone()).toHead());
    }
}
