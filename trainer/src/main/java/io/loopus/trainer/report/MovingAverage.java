package io.loopus.trainer.report;

/** Smooths a noisy per-step series so its trend shows. */
final class MovingAverage {
    private MovingAverage() {}

    /**
     * The mean of the finite values within {@code half} places either side of each place (fewer at
     * the ends); NaN where there are none. Centred, so the smoothed curve does not lag the data.
     */
    static double[] centred(double[] v, int half) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double sum = 0;
            int n = 0;
            for (int j = Math.max(0, i - half); j <= Math.min(v.length - 1, i + half); j++) {
                if (Double.isFinite(v[j])) {
                    sum += v[j];
                    n++;
                }
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }

    /** Half a window that spans about a twentieth of the run: enough to calm the noise, short enough to keep the shape. */
    static int halfWindow(int points) {
        return Math.max(1, points / 40);
    }
}
