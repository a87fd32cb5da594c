package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.tensor.F32Matrix;

import java.util.Map;

/** The confidence head's tensors (see {@link ConfidenceHead}), or their gradients; {@code bias} has one value. */
public record HeadParams(float[] normWeight, float[] normBias, float[] weight, float[] bias) {

    public static HeadParams copyOf(ConfidenceHead h) {
        return new HeadParams(h.normWeight().clone(), h.normBias().clone(), h.weight().data().clone(), new float[] {h.bias()});
    }

    public HeadParams zerosLike() {
        return new HeadParams(new float[normWeight.length], new float[normBias.length], new float[weight.length], new float[1]);
    }

    /** Inference weights; the norm and linear weights are these very arrays, the bias a copy of its value. */
    public ConfidenceHead toHead() {
        return new ConfidenceHead(normWeight, normBias, new F32Matrix(1, weight.length, weight), bias[0]);
    }

    public void putInto(String prefix, Map<String, float[]> out) {
        out.put(prefix + ".norm_weight", normWeight);
        out.put(prefix + ".norm_bias", normBias);
        out.put(prefix + ".weight", weight);
        out.put(prefix + ".bias", bias);
    }
}
