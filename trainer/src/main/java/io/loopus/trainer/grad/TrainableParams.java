package io.loopus.trainer.grad;

import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything random deep supervision trains (DESIGN §1): the reasoning layers, the gate, the
 * confidence head, the decoder layers, the final norm and the LM head (vocab x dim); the encoder
 * and the embedding stay frozen and are not here. Also the shape of their gradients.
 */
public record TrainableParams(LayerParams[] reasoning, GateParams gate, HeadParams head, LayerParams[] decoder,
                              float[] finalNorm, float[] lmHead) {

    /** F32 copies of a LoopUS model's trainable weights; a tied LM head becomes its own copy (untied). */
    public static TrainableParams copyOf(LoopusWeights w, Split split) {
        LayerParams[] reasoning = new LayerParams[split.reasoningLayers()];
        LayerParams[] decoder = new LayerParams[split.decoderLayers()];
        for (int j = 0; j < reasoning.length; j++) reasoning[j] = LayerParams.copyOf(w.base().layers()[split.encoderEnd() + j]);
        for (int k = 0; k < decoder.length; k++) decoder[k] = LayerParams.copyOf(w.base().layers()[split.decoderStart() + k]);
        return new TrainableParams(reasoning, GateParams.copyOf(w.gate()), HeadParams.copyOf(w.head()), decoder,
                w.base().finalNorm().clone(), LayerParams.decode(w.base().lmHead()));
    }

    /** Zeros of the same shapes (a gradient buffer). */
    public TrainableParams zerosLike() {
        return new TrainableParams(Arrays.stream(reasoning).map(LayerParams::zerosLike).toArray(LayerParams[]::new),
                gate.zerosLike(), head.zerosLike(),
                Arrays.stream(decoder).map(LayerParams::zerosLike).toArray(LayerParams[]::new),
                new float[finalNorm.length], new float[lmHead.length]);
    }

    /** Every tensor by name, in a fixed order (the same for a model and its gradients). */
    public Map<String, float[]> tensors() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int j = 0; j < reasoning.length; j++) reasoning[j].putInto("reasoning.layers." + j, out);
        gate.putInto("reasoning.gate", out);
        head.putInto("q_head", out);
        for (int k = 0; k < decoder.length; k++) decoder[k].putInto("decoder.layers." + k, out);
        out.put("decoder.norm", finalNorm);
        out.put("decoder.lm_head", lmHead);
        return out;
    }
}
