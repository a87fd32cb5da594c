package io.loopus.trainer.chart;

/**
 * A linear axis from {@code low} to {@code high} with labelled ticks at round numbers.
 *
 * @param ticks the values that get a tick and a label, within [low, high]
 */
public record Axis(double low, double high, double[] ticks) {
    private static final double[] ROUND = {1, 2, 2.5, 5, 10}, WHOLE = {1, 2, 5, 10};

    public Axis {
        if (!(high > low)) throw new IllegalArgumentException("axis [" + low + ", " + high + "] is empty");
    }

    /** Round ticks about {@code target} of them apart, the axis widened to the outer ticks around [min, max]. */
    public static Axis around(double min, double max, int target) {
        return around(min, max, target, false);
    }

    /** As {@link #around}, for counts (steps, tokens): whole-number ticks, no 2.5s. */
    public static Axis whole(double min, double max, int target) {
        return around(min, max, target, true);
    }

    private static Axis around(double min, double max, int target, boolean whole) {
        if (!(max > min)) { // one value (or none): a band around it
            double pad = min == 0 || !Double.isFinite(min) ? 1 : Math.abs(min) * 0.1;
            min = Double.isFinite(min) ? min - pad : 0;
            max = Double.isFinite(max) ? max + pad : 1;
        }
        double raw = (max - min) / target;
        double step = whole ? Math.max(1, round(raw, WHOLE)) : round(raw, ROUND);
        double low = Math.floor(min / step + 1e-9) * step, high = Math.ceil(max / step - 1e-9) * step;
        return new Axis(low, high, ticks(low, high, step));
    }

    /** From 0 to a round number at or above {@code max}: bar heights, norms. */
    public static Axis fromZero(double max, int target, boolean whole) {
        return around(0, max > 0 ? max : 1, target, whole);
    }

    /**
     * Whole numbers {@code first..last} placed at the centres of equal bands (a layer, a loop
     * count, a depth), half a band of room on each side; at most {@code maxLabels} are labelled.
     */
    public static Axis bands(int first, int last, int maxLabels) {
        int every = Math.max(1, (int) Math.ceil((last - first + 1) / (double) maxLabels));
        double[] ticks = new double[(last - first) / every + 1];
        for (int i = 0; i < ticks.length; i++) ticks[i] = first + i * every;
        return new Axis(first - 0.5, last + 0.5, ticks);
    }

    /** Where v falls, 0 at low and 1 at high (outside for values off the axis). */
    public double fraction(double v) {
        return (v - low) / (high - low);
    }

    /** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= v (1 for nothing to show). */
    public static double niceCeiling(double v) {
        return round(v, ROUND);
    }

    private static double round(double v, double[] multiples) {
        if (!(v > 0)) return 1;
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : multiples) if (m * power >= v * (1 - 1e-12)) return m * power;
        return 10 * power;
    }

    private static double[] ticks(double low, double high, double step) {
        long first = Math.round(low / step);
        int n = (int) (Math.round(high / step) - first) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = (first + i) * step; // whole multiples: 0 is exactly 0
        return t;
    }
}
