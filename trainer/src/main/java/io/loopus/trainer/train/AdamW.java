package io.loopus.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AdamW (decoupled weight decay) over named F32 tensors, updated in place. Moments are kept per
 * name, so the state can be saved and restored exactly with {@link #state} / {@link #restore}.
 */
public final class AdamW {
    /** Hyper-parameters; betas 0.9/0.999, eps 1e-8 and weight decay 0.01 are the reference's. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public static Settings defaults() { return new Settings(0.9, 0.999, 1e-8, 0.01); }
    }

    /** Everything a resumed run needs: the update count and both moments of every tensor. */
    public record State(long steps, Map<String, float[]> first, Map<String, float[]> second) {}

    private final Settings settings;
    private final Predicate<String> decayed;
    private final Map<String, float[]> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
    private long steps;

    /** @param decayed which tensors get weight decay (not A_log, norms or biases in loopus) */
    public AdamW(Settings settings, Predicate<String> decayed) {
        this.settings = settings;
        this.decayed = decayed;
    }

    public long steps() { return steps; }

    /** One update of every tensor in {@code params} from the gradient of the same name. */
    public void step(Map<String, float[]> params, Map<String, float[]> grads, double lr) {
        steps++;
        double b1 = settings.beta1, b2 = settings.beta2;
        double correction1 = 1 - Math.pow(b1, steps), correction2 = Math.sqrt(1 - Math.pow(b2, steps));
        double stepSize = lr / correction1;
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            String name = e.getKey();
            float[] p = e.getValue(), g = grads.get(name);
            if (g == null) throw new IllegalArgumentException("no gradient for " + name);
            float[] m = first.computeIfAbsent(name, k -> new float[p.length]);
            float[] v = second.computeIfAbsent(name, k -> new float[p.length]);
            float keep = decayed.test(name) ? (float) (1 - lr * settings.weightDecay) : 1f;
            for (int i = 0; i < p.length; i++) {
                double gi = g[i];
                m[i] = (float) (b1 * m[i] + (1 - b1) * gi);
                v[i] = (float) (b2 * v[i] + (1 - b2) * gi * gi);
                double denom = Math.sqrt(v[i]) / correction2 + settings.eps;
                p[i] = (float) (p[i] * keep - stepSize * m[i] / denom);
            }
        }
    }

    /**
     * Scales the gradients so that their global L2 norm is at most {@code maxNorm}; returns the
     * norm before scaling.
     */
    public static double clipGlobalNorm(Map<String, float[]> grads, double maxNorm) {
        double ss = 0;
        for (float[] g : grads.values()) for (float x : g) ss += (double) x * x;
        double norm = Math.sqrt(ss);
        if (norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (float[] g : grads.values()) for (int i = 0; i < g.length; i++) g[i] *= scale;
        }
        return norm;
    }

    public State state() {
        Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        first.forEach((k, a) -> m.put(k, a.clone()));
        second.forEach((k, a) -> v.put(k, a.clone()));
        return new State(steps, m, v);
    }

    public void restore(State s) {
        steps = s.steps();
        first.clear();
        second.clear();
        s.first().forEach((k, a) -> first.put(k, a.clone()));
        s.second().forEach((k, a) -> second.put(k, a.clone()));
    }
}
