package io.loopus.trainer.grad;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of analytic gradients computed in float32.
 *
 * <p>Every check is along a direction v of unit L2 norm (a random Gaussian direction, normalised,
 * or one coordinate), with the five-point central difference
 * {@code f'(0) ≈ [8 (f(ε) - f(-ε)) - (f(2ε) - f(-2ε))] / 12ε} of a loss evaluated in double from
 * float32 activations; ε = {@value #EPS_SPREAD} along random directions, {@value #EPS_ENTRY} along
 * one coordinate (the whole step then lands on one parameter, where the loss curves more).
 * A unit direction keeps the step in parameter space at ε whatever the tensor's size (a Gaussian
 * direction over thousands of parameters with unit entries would leave the region where the
 * loss is near-quadratic). Error sources:
 * <ul>
 *   <li>truncation, O(ε^4 f^(5)): measured on the supervised step along random directions, up
 *       to 5e-3 of |g.v| at ε = 0.1 (norm weights, which scale everything after them), so about
 *       4e-5 at ε = 0.03;</li>
 *   <li>the perturbed parameters are stored as float32, so the step actually taken differs from
 *       ε v by up to 2^-24 |θ|: under 1e-6 relative;</li>
 *   <li>every float32 activation is rounded (2^-24 relative), so the loss jitters (on the
 *       supervised step by about 2^-23 of the loss); an upper estimate of that jitter,
 *       {@code noise}, is given by the caller (and documented there) and allowed as an absolute
 *       floor {@code noise / ε} on every compared derivative.</li>
 * </ul>
 * A tensor of d entries passes when, for each of {@link #DIRECTIONS} random unit directions,
 * {@code |fd - g.v| <= TOL max(|g.v|, |g| / sqrt(d)) + noise/ε} (|g|/sqrt(d) is the typical size
 * of g.v, so an unlucky direction with g.v near 0 does not demand the impossible), and for the
 * largest-gradient entry and {@link #SAMPLES} random entries,
 * {@code |fd_i - g_i| <= TOL max(|g_i|, |fd_i|) + noise/ε}, with TOL = {@value #TOL}. A sign
 * error, a 1% scale error or one wrong row in a tensor's gradient fails this (see GradCheckTest).
 */
final class GradCheck {
    static final double EPS_SPREAD = 0.03;
    static final double EPS_ENTRY = 0.01;
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
        double typical = Math.sqrt(dot(grad, grad) / grad.length);
        for (int d = 0; d < DIRECTIONS; d++) {
            List<float[]> v = directions(List.of(x));
            double expected = dot(grad, v.get(0));
            double fd = directional(List.of(x), v, EPS_SPREAD);
            double bound = TOL * Math.max(Math.abs(expected), typical) + noise / EPS_SPREAD;
            assertTrue(Math.abs(fd - expected) <= bound, () -> String.format(
                    "%s: along a random direction, finite difference %.8g vs analytic %.8g (bound %.3g)",
                    name, fd, expected, bound));
        }
        for (int i : entries(grad)) {
            float[] v = new float[x.length];
            v[i] = 1;
            double fd = directional(List.of(x), List.of(v), EPS_ENTRY);
            double bound = TOL * Math.max(Math.abs(grad[i]), Math.abs(fd)) + noise / EPS_ENTRY;
            assertTrue(Math.abs(fd - grad[i]) <= bound, () -> String.format(
                    "%s[%d]: finite difference %.8g vs analytic %.8g (bound %.3g)", name, i, fd, grad[i], bound));
        }
    }

    /** Checks all tensors at once along random unit directions spanning all of them. */
    void jointly(String what, List<float[]> xs, List<float[]> grads, int directions) {
        int size = 0;
        double norm2 = 0;
        for (int k = 0; k < xs.size(); k++) {
            size += xs.get(k).length;
            norm2 += dot(grads.get(k), grads.get(k));
        }
        double typical = Math.sqrt(norm2 / size);
        for (int d = 0; d < directions; d++) {
            List<float[]> vs = directions(xs);
            double expected = 0;
            for (int k = 0; k < xs.size(); k++) expected += dot(grads.get(k), vs.get(k));
            double fd = directional(xs, vs, EPS_SPREAD);
            double bound = TOL * Math.max(Math.abs(expected), typical) + noise / EPS_SPREAD;
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
    double directional(List<float[]> xs, List<float[]> vs, double eps) {
        List<float[]> saved = new ArrayList<>();
        for (float[] x : xs) saved.add(x.clone());
        double f1 = at(xs, vs, saved, eps) - at(xs, vs, saved, -eps);
        double f2 = at(xs, vs, saved, 2 * eps) - at(xs, vs, saved, -2 * eps);
        for (int k = 0; k < xs.size(); k++) System.arraycopy(saved.get(k), 0, xs.get(k), 0, saved.get(k).length);
        loss.value();
        return (8 * f1 - f2) / (12 * eps);
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

    /** A Gaussian direction over tensors shaped like xs, of unit norm over all of them. */
    private List<float[]> directions(List<float[]> xs) {
        List<float[]> vs = new ArrayList<>();
        double norm2 = 0;
        for (float[] x : xs) {
            float[] v = new float[x.length];
            for (int i = 0; i < v.length; i++) v[i] = (float) random.nextGaussian();
            norm2 += dot(v, v);
            vs.add(v);
        }
        float scale = (float) (1 / Math.sqrt(norm2));
        for (float[] v : vs) for (int i = 0; i < v.length; i++) v[i] *= scale;
        return vs;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
