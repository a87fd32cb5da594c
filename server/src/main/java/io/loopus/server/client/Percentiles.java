package io.loopus.server.client;

import java.util.Arrays;

/** Nearest-rank percentiles: the smallest sample with at least p% of the samples at or below it. */
public final class Percentiles {
    private final double[] sorted;

    public Percentiles(double[] samples) {
        this.sorted = samples.clone();
        Arrays.sort(sorted);
    }

    public int count() {
        return sorted.length;
    }

    /** @param p in (0, 100]; NaN when there are no samples */
    public double get(double p) {
        if (!(p > 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p * sorted.length / 100); // p * n first: exact for whole p
        return sorted[Math.max(rank, 1) - 1];
    }
}
