package io.loopus.trainer.grad;

import io.loopus.worker.loop.GateWeights;

import java.util.Arrays;

/**
 * The selective gate (DESIGN §1), per row and channel: u = r - h, z = W_in u, s = W_delta z + b,
 * Delta = softplus(s), A = -exp(A_log), Abar = exp(Delta A), h' = h + Abar u (= Abar r + (1 - Abar) h).
 * Its {@link Tape} keeps u, z and s; Abar is recomputed from s.
 */
public final class GateGrad {
    /** One application's saved activations: u and s are rows x H, z rows x k. */
    public record Tape(float[] u, float[] z, float[] s) {}

    private final int hidden;
    private final int rank;
    private final int capacity;
    private final Linear in;
    private final Linear delta;
    private final double[] decay;          // A, recomputed from A_log at every call
    private final double[] dDecay;         // dA summed over rows
    private final float[] ds, dz, du;      // backward scratch

    public GateGrad(int hidden, int capacityRows) {
        this.hidden = hidden;
        this.rank = GateWeights.rank(hidden);
        this.capacity = capacityRows;
        this.in = new Linear(hidden, rank);
        this.delta = new Linear(rank, hidden);
        this.decay = new double[hidden];
        this.dDecay = new double[hidden];
        this.ds = new float[capacityRows * hidden];
        this.dz = new float[capacityRows * rank];
        this.du = new float[capacityRows * hidden];
    }

    public Tape newTape() {
        return new Tape(new float[capacity * hidden], new float[capacity * rank], new float[capacity * hidden]);
    }

    /** out = the gated state of n rows; out may be h itself. */
    public void forward(GateParams p, float[] r, float[] h, int n, Tape tape, float[] out) {
        float[] u = tape.u(), s = tape.s();
        for (int i = 0; i < n * hidden; i++) u[i] = r[i] - h[i];
        in.forward(u, n, p.wIn(), null, tape.z());
        delta.forward(tape.z(), n, p.wDelta(), p.bDelta(), s);
        setDecay(p);
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < hidden; c++) {
                int i = t * hidden + c;
                out[i] = (float) (h[i] + abar(s[i], decay[c]) * u[i]);
            }
        }
    }

    /**
     * From dOut: dr += Abar dOut + du, dh += (1 - Abar) dOut - du (dh may be null), where du is what
     * reaches u through Delta; and the gradients of W_in, W_delta, b_delta and A_log.
     */
    public void backward(GateParams p, int n, Tape tape, float[] dOut, float[] dr, float[] dh, GateParams grads) {
        float[] u = tape.u(), s = tape.s();
        setDecay(p);
        Arrays.fill(dDecay, 0);
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < hidden; c++) {
                int i = t * hidden + c;
                double e = Math.exp(s[i]); // shared by softplus and its derivative
                double g = dOut[i], sp = softplus(s[i], e), a = Math.exp(sp * decay[c]);
                dr[i] += (float) (g * a);
                if (dh != null) dh[i] += (float) (g * (1 - a));
                double dExp = g * u[i] * a; // through Abar = exp(Delta A): d(Abar u)/d(Delta A) = Abar u
                dDecay[c] += dExp * sp;
                ds[i] = (float) (dExp * decay[c] * softplusDerivative(s[i], e));
            }
        }
        // A = -exp(A_log), so dA/dA_log = A
        for (int c = 0; c < hidden; c++) grads.aLog()[c] += (float) (dDecay[c] * decay[c]);
        Arrays.fill(dz, 0, n * rank, 0f);
        delta.backward(tape.z(), ds, n, p.wDelta(), dz, grads.wDelta(), grads.bDelta());
        Arrays.fill(du, 0, n * hidden, 0f);
        in.backward(u, dz, n, p.wIn(), du, grads.wIn(), null);
        for (int i = 0; i < n * hidden; i++) {
            dr[i] += du[i];
            if (dh != null) dh[i] -= du[i];
        }
    }

    private void setDecay(GateParams p) {
        for (int c = 0; c < hidden; c++) decay[c] = -Math.exp(p.aLog()[c]);
    }

    private static double abar(double s, double a) { return Math.exp(softplus(s, Math.exp(s)) * a); }

    /** log(1 + e^x) from e = e^x, linear above 20 as in PyTorch and the worker. */
    private static double softplus(double x, double e) { return x > 20 ? x : Math.log1p(e); }

    /** sigmoid(x) = e / (1 + e) from e = e^x, 1 above 20. */
    private static double softplusDerivative(double x, double e) { return x > 20 ? 1 : e / (1 + e); }
}
