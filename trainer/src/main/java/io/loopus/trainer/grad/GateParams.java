package io.loopus.trainer.grad;

import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.tensor.F32Matrix;

import java.util.Map;

/** The selective gate's tensors (see {@link GateWeights}), or their gradients. */
public record GateParams(float[] wIn, float[] wDelta, float[] bDelta, float[] aLog) {

    public static GateParams copyOf(GateWeights g) {
        return new GateParams(g.wIn().data().clone(), g.wDelta().data().clone(), g.bDelta().clone(), g.aLog().clone());
    }

    public GateParams zerosLike() {
        return new GateParams(new float[wIn.length], new float[wDelta.length], new float[bDelta.length], new float[aLog.length]);
    }

    public int hidden() { return aLog.length; }

    /** Inference weights over these very arrays. */
    public GateWeights toWeights() {
        int h = hidden(), k = GateWeights.rank(h);
        return new GateWeights(new F32Matrix(k, h, wIn), new F32Matrix(h, k, wDelta), bDelta, aLog);
    }

    public void putInto(String prefix, Map<String, float[]> out) {
        out.put(prefix + ".w_in", wIn);
        out.put(prefix + ".w_delta", wDelta);
        out.put(prefix + ".b_delta", bDelta);
        out.put(prefix + ".a_log", aLog);
    }
}
