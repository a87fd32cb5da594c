package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SwiGLU product {@code out = silu(gate) ⊙ up}, elementwise over n values, in float: whole
 * vectors with {@link VectorExp}, the last few values (n not a multiple of the vector length) with
 * Math.exp. Every vector is loaded and stored within one iteration (see {@link CausalAttention}).
 */
public final class SiluMul {
    private SiluMul() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    public static void forward(float[] gate, float[] up, int n, float[] out) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector sigmoid = FloatVector.broadcast(F, 1f).div(VectorExp.exp(g.neg()).add(1f));
            g.mul(sigmoid).mul(FloatVector.fromArray(F, up, i)).intoArray(out, i);
        }
        for (int i = bound; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
    }

    /** dGate += dOut ⊙ up ⊙ silu'(gate), dUp += dOut ⊙ silu(gate), with silu' = s (1 + g (1 - s)), s = sigmoid(g). */
    public static void backward(float[] gate, float[] up, float[] dOut, int n, float[] dGate, float[] dUp) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i), d = FloatVector.fromArray(F, dOut, i);
            FloatVector s = FloatVector.broadcast(F, 1f).div(VectorExp.exp(g.neg()).add(1f));
            FloatVector derivative = s.mul(g.mul(s.neg().add(1f)).add(1f));
            d.mul(FloatVector.fromArray(F, up, i)).fma(derivative, FloatVector.fromArray(F, dGate, i)).intoArray(dGate, i);
            d.mul(g.mul(s)).add(FloatVector.fromArray(F, dUp, i)).intoArray(dUp, i);
        }
        for (int i = bound; i < n; i++) {
            float s = sigmoid(gate[i]);
            dGate[i] += dOut[i] * up[i] * (s * (1 + gate[i] * (1 - s)));
            dUp[i] += dOut[i] * (gate[i] * s);
        }
    }

    private static float sigmoid(float x) { return 1 / (1 + (float) Math.exp(-x)); }
}
