package io.loopus.trainer.train;

/**
 * Learning rate by optimiser update: linear warm-up from 0 to {@code peak} over {@code warmup}
 * updates, then a half cosine down to 0 at {@code total} (Hugging Face's cosine schedule).
 */
public record CosineSchedule(double peak, int warmup, int total) {
    public CosineSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + peak);
        if (total < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + total);
        if (warmup < 0 || warmup > total) throw new IllegalArgumentException("--warmup must be in [0, " + total + "], got " + warmup);
    }

    /** The rate of update {@code step} (0-based). */
    public double lr(int step) {
        if (step < warmup) return peak * (step + 1) / (warmup + 1);
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return peak * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
