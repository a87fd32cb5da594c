package io.loopus.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The coordinator's half of an update: gradients of the micro-batches are summed in micro-batch
 * order (so the result is the same whatever the number of workers), averaged, optionally clipped
 * to a global norm, and applied by AdamW at the schedule's learning rate.
 */
public final class Updater {
    private final Map<String, float[]> params;
    private final Map<String, float[]> sum = new LinkedHashMap<>();
    private final AdamW adam;
    private final CosineSchedule schedule;
    private final double clip;
    private int added;

    public Updater(Map<String, float[]> all, TrainConfig cfg) {
        this.params = new LinkedHashMap<>(all);
        if (cfg.control()) params.keySet().removeIf(TrainingModel::loopOnly); // the control run has no gate or head
        params.forEach((k, v) -> sum.put(k, new float[v.length]));
        this.adam = new AdamW(AdamW.Settings.defaults(), TrainingModel::decayed);
        this.schedule = new CosineSchedule(cfg.lr(), cfg.warmup(), cfg.steps());
        this.clip = cfg.clip();
    }

    public AdamW optimizer() { return adam; }

    /** Adds the next micro-batch's gradients; callers add them in micro-batch order. */
    public void add(Map<String, float[]> grads) {
        for (Map.Entry<String, float[]> e : sum.entrySet()) {
            float[] s = e.getValue(), g = grads.get(e.getKey());
            for (int i = 0; i < s.length; i++) s[i] += g[i];
        }
        added++;
    }

    /** Applies update {@code step} (0-based) from the gradients added since the last; returns its statistics. */
    public Applied apply(int step) {
        if (added == 0) throw new IllegalStateException("no gradients to apply");
        float scale = 1f / added;
        for (float[] s : sum.values()) for (int i = 0; i < s.length; i++) s[i] *= scale;
        double norm = clip > 0 ? AdamW.clipGlobalNorm(sum, clip) : AdamW.clipGlobalNorm(sum, Double.MAX_VALUE);
        double lr = schedule.lr(step);
        adam.step(params, sum, lr);
        for (float[] s : sum.values()) java.util.Arrays.fill(s, 0f);
        added = 0;
        return new Applied(lr, norm);
    }

    /** @param gradNorm the averaged gradient's global norm before clipping */
    public record Applied(double lr, double gradNorm) {}
}
