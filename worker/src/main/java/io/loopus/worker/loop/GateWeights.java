package io.loopus.worker.loop;

import io.loopus.worker.tensor.F32Matrix;

import java.util.Random;

/**
 * The selective gate of the reasoning block (DESIGN §1), hidden size H, rank k = ceil(H/16):
 * {@code Delta = softplus(wDelta · (wIn · u) + bDelta)}, {@code Abar = exp(Delta ⊙ -exp(aLog))},
 * {@code h' = Abar ⊙ r + (1 - Abar) ⊙ h}.
 *
 * @param wIn    k x H, no bias ({@code reasoning.gate.dt_input_proj.weight})
 * @param wDelta H x k ({@code reasoning.gate.delta_proj.weight})
 * @param bDelta H ({@code reasoning.gate.delta_proj.bias})
 * @param aLog   H ({@code reasoning.gate.A_log})
 */
public record GateWeights(F32Matrix wIn, F32Matrix wDelta, float[] bDelta, float[] aLog) {
    public GateWeights {
        int h = aLog.length, k = rank(h);
        if (wIn.rows() != k || wIn.cols() != h || wDelta.rows() != h || wDelta.cols() != k || bDelta.length != h) {
            throw new IllegalArgumentException("gate shapes for hidden size " + h + " must be W_in " + k + "x" + h
                    + ", W_delta " + h + "x" + k + ", b_delta " + h + "; got " + wIn.rows() + "x" + wIn.cols() + ", "
                    + wDelta.rows() + "x" + wDelta.cols() + ", " + bDelta.length);
        }
    }

    public static int rank(int hidden) { return (hidden + 15) / 16; }

    public int hidden() { return aLog.length; }

    /** A = -exp(A_log), per channel. */
    public float[] decay() {
        float[] a = new float[aLog.length];
        for (int i = 0; i < a.length; i++) a[i] = (float) -Math.exp(aLog[i]);
        return a;
    }

    /**
     * The reference's initialisation: A_log[i] = ln(i+1); W_delta ~ U(-k^-1/2, k^-1/2);
     * b_delta = softplus^-1(dt), dt = exp(U(ln 1e-3, ln 1e-1)) clamped at >= 1e-4;
     * W_in ~ U(-1/sqrt(H), 1/sqrt(H)).
     */
    public static GateWeights initial(int hidden, Random random) {
        int k = rank(hidden);
        float[] aLog = new float[hidden];
        for (int i = 0; i < hidden; i++) aLog[i] = (float) Math.log(i + 1);
        float[] wIn = uniform(random, k * hidden, 1 / Math.sqrt(hidden));
        float[] wDelta = uniform(random, hidden * k, 1 / Math.sqrt(k));
        float[] bDelta = new float[hidden];
        double lo = Math.log(1e-3), hi = Math.log(1e-1);
        for (int i = 0; i < hidden; i++) {
            double dt = Math.max(Math.exp(lo + random.nextDouble() * (hi - lo)), 1e-4);
            bDelta[i] = (float) (dt + Math.log(-Math.expm1(-dt)));
        }
        return new GateWeights(new F32Matrix(k, hidden, wIn), new F32Matrix(hidden, k, wDelta), bDelta, aLog);
    }

    /**
     * An identity-preserving start (a loopus option beside the reference's): the reference's
     * draws, but b_delta set so that Delta * A = -1e-3 on every channel, so Abar = 0.999 and one
     * loop reproduces the base model to within 0.1% of each update.
     */
    public static GateWeights nearIdentity(int hidden, Random random) {
        GateWeights g = initial(hidden, random);
        for (int i = 0; i < hidden; i++) {
            double dt = 1e-3 / Math.exp(g.aLog()[i]); // |A| = exp(A_log)
            g.bDelta()[i] = (float) (dt + Math.log(-Math.expm1(-dt)));
        }
        return g;
    }

    /** n values from U(-bound, bound). */
    static float[] uniform(Random random, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        return v;
    }
}
