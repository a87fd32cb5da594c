package io.loopus.trainer.grad;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of analytic gradients computed in float32.
 *
 * <p>The reference is the five-point central difference
 * {@code f'(0) ≈ [8 (f(ε) - f(-ε)) - (f(2ε) - f(-2ε))] / 12ε} with ε = 1e-2 (truncation error
 * O(ε^4 f^(5)) ≈ 1e-8 relative on these smooth functions), of a loss evaluated in double from
 * float32 activations. Two error sources remain:
 * <ul>
 *   <li>the perturbed parameters are stored as float32, so the step actually taken differs from
 *       ε v by up to 2^-24 |θ|: about 6e-6 relative for |θ| ≤ 1, far below the tolerance;</li>
 *   <li>every float32 activation is rounded (2^-24 relative), so the loss jitters; we allow an
 *       absolute floor {@code noise / ε} on every compared derivative, where {@code noise} is an
 *       upper estimate of that jitter given by the caller (documented where it is chosen).</li>
 * </ul>
 * A tensor passes when, for each of {@link #DIRECTIONS} random directions v with N(0, 1) entries,
 * {@code |fd - g.v| <= TOL max(|g.v|, |g|_2) + noise/ε} (|g|_2 is the standard deviation of g.v
 * over such directions, so an unlucky direction with g.v near 0 does not demand the impossible),
 * and for the largest-gradient entry and {@link #SAMPLES} random entries,
 * {@code |fd_i - g_i| <= TOL max(|g_i|, |fd_i|) + noise/ε}, with TOL = 1e-3. A sign error or a
 * 1% scale error in any tensor's gradient fails this (see {@code GradCheckTest}).
 */
final class GradCheck {
    static final double EPS = 1e-2;
    static final double TOL = 1e-3;
    static final int DIRECTIONS = 2;
    static final int SAMPLES = 6;

    /** The loss at the current contents of the arrays being checked. */
    interface Loss {
        double value();
    }

    private final Loss loss;
    private final double noise;
    private final Random random;

    /** @param noise an upper estimate of the loss's float32 rounding jitter (absolute) */
    GradCheck(Loss loss, double noise, long seed) {
        this.loss = loss;
        this.noise = noise;
        this.random = new Random(seed);
    }

    /** Checks one tensor's gradient: random directions, the largest entry and a sample of entries. */
    void tensor(String name, float[] x, float[] grad) {
        double floor = noise / EPS;
        double norm = Math.sqrt(dot(grad, grad));
        for (int d = 0; d < DIRECTIONS; d++) {
            float[] v = gaussian(x.length);
            double expected = dot(grad, v);
            double fd = directional(List.of(x), List.of(v));
            double bound = TOL * Math.max(Math.abs(expected), norm) + floor;
            assertTrue(Math.abs(fd - expected) <= bound, () -> String.format(
                    "%s: along a random direction, finite difference %.8g vs analytic %.8g (|g| %.4g, bound %.3g)",
                    name, fd, expected, norm, bound));
        }
        for (int i : entries(grad)) {
            float[] v = new float[x.length];
            v[i] = 1;
            double fd = directional(List.of(x), List.of(v));
            double bound = TOL * Math.max(Math.abs(grad[i]), Math.abs(fd)) + floor;
            assertTrue(Math.abs(fd - grad[i]) <= bound, () -> String.format(
                    "%s[%d]: finite difference %.8g vs analytic %.8g (bound %.3g)", name, i, fd, grad[i], bound));
        }
    }

    /** Checks all tensors at once along random directions (catches cross-terms a per-tensor check sees separately). */
    void jointly(String what, List<float[]> xs, List<float[]> grads, int directions) {
        for (int d = 0; d < directions; d++) {
            List<float[]> vs = new ArrayList<>();
            double expected = 0, norm2 = 0;
            for (int k = 0; k < xs.size(); k++) {
                float[] v = gaussian(xs.get(k).length);
                vs.add(v);
                expected += dot(grads.get(k), v);
                norm2 += dot(grads.get(k), grads.get(k));
            }
            double fd = directional(xs, vs);
            double bound = TOL * Math.max(Math.abs(expected), Math.sqrt(norm2)) + noise / EPS;
            double e = expected;
            int n = d;
            assertTrue(Math.abs(fd - expected) <= bound, () -> String.format(
                    "%s: along random direction %d, finite difference %.8g vs analytic %.8g (bound %.3g)", what, n, fd, e, bound));
        }
    }

    /**
     * The derivative along (v_k) of the loss, with every x_k restored exactly afterwards and the
     * loss evaluated once more there, so that what its forward saved is again the unperturbed state.
     */
    double directional(List<float[]> xs, List<float[]> vs) {
        List<float[]> saved = new ArrayList<>();
        for (float[] x : xs) saved.add(x.clone());
        double f1 = at(xs, vs, saved, EPS) - at(xs, vs, saved, -EPS);
        double f2 = at(xs, vs, saved, 2 * EPS) - at(xs, vs, saved, -2 * EPS);
        for (int k = 0; k < xs.size(); k++) System.arraycopy(saved.get(k), 0, xs.get(k), 0, saved.get(k).length);
        loss.value();
        return (8 * f1 - f2) / (12 * EPS);
    }

    private double at(List<float[]> xs, List<float[]> vs, List<float[]> saved, double step) {
        for (int k = 0; k < xs.size(); k++) {
            float[] x = xs.get(k), v = vs.get(k), x0 = saved.get(k);
            for (int i = 0; i < x.length; i++) x[i] = (float) (x0[i] + step * v[i]);
        }
        return loss.value();
    }

    /** The entry with the largest |gradient| and SAMPLES random entries (with repeats when the tensor is small). */
    private int[] entries(float[] grad) {
        int[] out = new int[1 + Math.min(SAMPLES, grad.length)];
        for (int i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[out[0]])) out[0] = i;
        for (int s = 1; s < out.length; s++) out[s] = random.nextInt(grad.length);
        return out;
    }

    private float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
