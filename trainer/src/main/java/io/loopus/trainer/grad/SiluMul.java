package io.loopus.trainer.grad;

/** The SwiGLU product {@code out = silu(gate) ⊙ up}, elementwise over n values. */
public final class SiluMul {
    private SiluMul() {}

    public static void forward(float[] gate, float[] up, int n, float[] out) {
        for (int i = 0; i < n; i++) out[i] = (float) (Silu.value(gate[i]) * up[i]);
    }

    /** dGate += dOut ⊙ up ⊙ silu'(gate), dUp += dOut ⊙ silu(gate). */
    public static void backward(float[] gate, float[] up, float[] dOut, int n, float[] dGate, float[] dUp) {
        for (int i = 0; i < n; i++) {
            if (dOut[i] == 0) continue; // padding rows
            dGate[i] += (float) ((double) dOut[i] * up[i] * Silu.derivative(gate[i]));
            dUp[i] += (float) (dOut[i] * Silu.value(gate[i]));
        }
    }
}
