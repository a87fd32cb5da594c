package io.loopus.trainer.grad;

import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.F32Matrix;

/**
 * A plain (non-LoopUS) Llama model fine-tuned on the LoopUS trainable set: the control run's
 * result, to export or evaluate beside the base model. The embedding and the encoder layers are
 * the frozen base's; the reasoning layers (in their place, applied once), the decoder layers, the
 * final norm and the LM head (untied, F32) come from the params; gate and head are not part of it.
 */
public record PlainModel(LlamaConfig config, LlamaWeights weights) {

    /**
     * Built from copies of the trained tensors, so training may go on while it is written out; the
     * frozen base tensors are shared.
     */
    public static PlainModel of(LlamaConfig base, LlamaWeights frozen, TrainableParams p, Split split) {
        if (split.layers() != base.layers() || p.reasoning().length != split.reasoningLayers()
                || p.decoder().length != split.decoderLayers()) {
            throw new IllegalArgumentException("params of " + p.reasoning().length + " reasoning and " + p.decoder().length
                    + " decoder layers do not fit split " + split + " of a " + base.layers() + "-layer model");
        }
        LayerWeights[] layers = frozen.layers().clone();
        for (int j = 0; j < p.reasoning().length; j++) layers[split.encoderEnd() + j] = copy(p.reasoning()[j]);
        for (int k = 0; k < p.decoder().length; k++) layers[split.decoderStart() + k] = copy(p.decoder()[k]);
        LlamaWeights w = new LlamaWeights(frozen.embedding(), layers, p.finalNorm().clone(),
                new F32Matrix(base.vocabSize(), base.dim(), p.lmHead().clone()));
        return new PlainModel(untied(base), w);
    }

    /** copyOf decodes into fresh arrays: a snapshot, not a view of the trained arrays. */
    private static LayerWeights copy(LayerParams p) { return LayerParams.copyOf(p.toWeights()).toWeights(); }

    /** The trained head is its own tensor now, whatever the base did. */
    private static LlamaConfig untied(LlamaConfig c) {
        return new LlamaConfig(c.architecture(), c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(),
                c.vocabSize(), c.contextLength(), c.normEps(), c.ropeTheta(), c.ropeScaling(), c.rope(), c.qkvBias(),
                c.qkNorm(), false, c.bosId(), c.eosIds());
    }
}
